// The few Node APIs the journey uses, declared here rather than pulling in @types/node.
declare module "node:fs" {
  export function readFileSync(path: string, encoding: "utf8"): string;
  export function readdirSync(path: string): string[];
  export function statSync(path: string): { isDirectory(): boolean };
}
declare module "node:crypto" {
  export function randomUUID(): string;
}
declare const process: {
  env: Record<string, string | undefined>;
  exitCode: number | undefined;
};
