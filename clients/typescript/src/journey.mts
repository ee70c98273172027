// A patient's and a doctor's whole journey through the CareSlot API, as a front-end team would
// write it: types generated from api_schema/openapi.yaml by openapi-typescript (./schema.ts),
// calls through openapi-fetch. No casts and no `any`: if the schema lies about a shape, an enum
// or nullability, this file stops compiling (`tsc --noEmit`) or a step below fails.
//
// CARESLOT_URL   the server, e.g. http://127.0.0.1:8000
// CARESLOT_MAIL  where the server's mail lands: the output of `make run` (console backend) or
//                the directory of the file backend (EMAIL_URL=filemail:///path)
import createClient, { type Middleware } from "openapi-fetch";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { randomUUID } from "node:crypto";
import type { components, paths } from "./schema.js";

type Schemas = components["schemas"];
type Tokens = { access: string; refresh: string };

const baseUrl = required("CARESLOT_URL");
const mailPath = required("CARESLOT_MAIL");
const demoPassword = process.env["CARESLOT_DEMO_PASSWORD"] ?? "CareSlot-demo-2026";
const demoDoctor = process.env["CARESLOT_DEMO_DOCTOR"] ?? "doctor@careslot.local";
const demoClinicAdmin = process.env["CARESLOT_DEMO_CLINIC_ADMIN"] ?? "clinic.admin@careslot.local";

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`set ${name}`);
  return value;
}

// ---- plumbing -------------------------------------------------------------------------------

let passed = 0;

async function step<T>(journey: string, name: string, run: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const result = await run();
  passed += 1;
  console.log(`ok ${passed} - ${journey}: ${name} (${Date.now() - started} ms)`);
  return result;
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

/** The body of a successful answer with exactly the expected status, or an error naming it. */
function expect<T>(
  result: { data?: T; error?: unknown; response: Response },
  status: number,
): T {
  const { data, error, response } = result;
  if (response.status !== status || data === undefined) {
    const body = JSON.stringify(error ?? data);
    throw new Error(`${response.url}: expected ${status}, got ${response.status} ${body}`);
  }
  return data;
}

/** An answer that has no body (204) or whose body we do not need. */
function expectStatus(result: { response: Response }, status: number): void {
  const { response } = result;
  check(response.status === status, `${response.url}: expected ${status}, got ${response.status}`);
}

/** An error answer: its status and its first error code, from the one error shape. */
function expectError(
  result: { error?: { errors: { code: string }[] }; response: Response },
  status: number,
  code: string,
): void {
  const { error, response } = result;
  const got = error?.errors[0]?.code;
  check(
    response.status === status && got === code,
    `${response.url}: expected ${status} ${code}, got ${response.status} ${got ?? "no error body"}`,
  );
}

function client(tokens?: Tokens) {
  const api = createClient<paths>({ baseUrl });
  if (tokens) {
    const auth: Middleware = {
      onRequest({ request }) {
        request.headers.set("Authorization", `Bearer ${tokens.access}`);
        return request;
      },
    };
    api.use(auth);
  }
  return api;
}

const anonymous = client();

/** A login with the password alone: the harness requires no second factor of any role. */
async function logIn(email: string, password: string): Promise<Schemas["LoginResult"]> {
  const body = expect(await anonymous.POST("/api/v1/auth/login/", { body: { email, password } }), 200);
  if (!("access" in body)) throw new Error(`${email}: the login asked for a second factor`);
  return body;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The confirmation token of the last mail sent to `email`, as its recipient would read it. */
async function confirmationToken(email: string): Promise<string> {
  for (let attempt = 0; attempt < 60; attempt += 1) {
    const token = findToken(readMail(), email);
    if (token) return token;
    await sleep(500);
  }
  throw new Error(`no confirmation mail to ${email} in ${mailPath}`);
}

function readMail(): string {
  const files = statSync(mailPath).isDirectory()
    ? readdirSync(mailPath).sort().map((name) => `${mailPath}/${name}`)
    : [mailPath];
  // A process manager may prefix each line with "HH:MM:SS name | " (supervisord does not)
  return files
    .map((file) => readFileSync(file, "utf8"))
    .join("\n")
    .replace(/^\d\d:\d\d:\d\d \S+ \| ?/gm, "");
}

function findToken(mail: string, email: string): string | undefined {
  const messages = mail.split(/^-{79}$/m).filter((message) => message.includes(`To: ${email}`));
  const last = messages[messages.length - 1];
  const match = last?.match(/confirm-email\?token=([^\s"&<]+)/);
  return match?.[1] ? decodeURIComponent(match[1]) : undefined;
}

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

// ---- the journeys ---------------------------------------------------------------------------

const DOCTOR = "doctor";
const PATIENT = "patient";
const INTEGRATION = "clinic integration";

async function main(): Promise<void> {
  // The doctor publishes a slot three days ahead (far enough for a patient to cancel); later
  // one starting in a few seconds, for the visit that gets completed.
  const doctorLogin = await step(DOCTOR, "log in", () => logIn(demoDoctor, demoPassword));
  check(doctorLogin.user.roles.includes("doctor"), "the demo doctor has no doctor role");
  const asDoctor = client(doctorLogin);
  const profile = await step(DOCTOR, "read my profile", async () =>
    expect(await asDoctor.GET("/api/v1/doctors/me/"), 200),
  );
  const clinic = profile.clinics[0];
  if (!clinic) throw new Error("the demo doctor works at no clinic");
  const specialty: Schemas["Specialty"] = profile.specialty;

  const later = new Date(Date.now() + 3 * 24 * 3600 * 1000);
  later.setUTCHours(1, 0, 0, 0);
  const laterSlot = await step(DOCTOR, "add a slot in three days", () =>
    addSlot(asDoctor, clinic.clinic_id, later),
  );

  // A new patient registers and confirms the email from the mail the server sent.
  const email = `ts-journey-${Date.now()}@example.com`;
  const password = "Journey-pass-2026!";
  await step(PATIENT, "register", async () => {
    const registered = expect(
      await anonymous.POST("/api/v1/auth/register/patient/", {
        body: { email, password, first_name: "Tess", last_name: "Script", date_of_birth: "1991-04-12" },
      }),
      201,
    );
    check(registered.email === email, "registration answered another email");
  });
  await step(PATIENT, "log in before confirming is refused", async () =>
    expectError(
      await anonymous.POST("/api/v1/auth/login/", { body: { email, password } }),
      403,
      "email_not_confirmed",
    ),
  );
  const token = await step(PATIENT, "read the confirmation mail", () => confirmationToken(email));
  await step(PATIENT, "confirm the email", async () => {
    const account = expect(await anonymous.POST("/api/v1/auth/email/confirm/", { body: { token } }), 200);
    check(account.email_confirmed, "the account is not confirmed");
  });
  const login = await step(PATIENT, "log in", () => logIn(email, password));
  check(login.user.roles.includes("patient"), "a registered patient lacks the patient role");
  const tokens: Tokens = await step(PATIENT, "refresh the token pair", async () => {
    const pair = expect(
      await anonymous.POST("/api/v1/auth/token/refresh/", { body: { refresh: login.refresh } }),
      200,
    );
    check(pair.refresh !== login.refresh, "the refresh token did not rotate");
    return { access: pair.access, refresh: pair.refresh };
  });
  const asPatient = client(tokens);

  // Search by specialty and date, book with an Idempotency-Key, list, cancel.
  const found = await step(PATIENT, "search available slots by specialty and date", async () => {
    const page = expect(
      await asPatient.GET("/api/v1/slots/available/", {
        params: { query: { specialty: specialty.slug, date: isoDay(later), tz: "UTC", page_size: 100 } },
      }),
      200,
    );
    const slot = page.results.find((candidate) => candidate.id === laterSlot.id);
    if (!slot) throw new Error("the doctor's new slot is not in the search results");
    const status: Schemas["SlotStatusEnum"] = slot.status;
    check(status === "available", `a found slot is ${status}`);
    check(slot.specialty === specialty.name || slot.specialty === specialty.slug, "wrong specialty");
    return slot;
  });
  const idempotencyKey = randomUUID();
  const booked = await step(PATIENT, "book with an Idempotency-Key", async () => {
    const appointment = expect(
      await asPatient.POST("/api/v1/appointments/", {
        params: { header: { "Idempotency-Key": idempotencyKey } },
        body: { slot: found.id, notes: "Booked by the TypeScript journey." },
      }),
      201,
    );
    check(appointment.status === "booked", `a new appointment is ${appointment.status}`);
    check(appointment.payment_status === "pending", "a new appointment is not pending payment");
    return appointment;
  });
  await step(PATIENT, "retry the booking with the same key: the same appointment", async () => {
    const replay = expect(
      await asPatient.POST("/api/v1/appointments/", {
        params: { header: { "Idempotency-Key": idempotencyKey } },
        body: { slot: found.id, notes: "Booked by the TypeScript journey." },
      }),
      200,
    );
    check(replay.id === booked.id, "the replay booked a second appointment");
  });
  await step(PATIENT, "list upcoming appointments", async () => {
    const page = expect(
      await asPatient.GET("/api/v1/appointments/", { params: { query: { when: "upcoming" } } }),
      200,
    );
    check(page.results.some((appointment) => appointment.id === booked.id), "booking not listed");
  });
  await step(PATIENT, "cancel", async () => {
    const cancelled = expect(
      await asPatient.POST("/api/v1/appointments/{id}/cancel/", {
        params: { path: { id: booked.id } },
        body: { reason: "Plans changed." },
      }),
      200,
    );
    check(cancelled.status === "cancelled", `a cancelled appointment is ${cancelled.status}`);
    check(cancelled.cancelled_at !== null, "a cancelled appointment has no cancelled_at");
  });
  const before = await step(PATIENT, "read the points balance", async () =>
    expect(await asPatient.GET("/api/v1/points/balance/"), 200),
  );
  check(before.balance === 0, `a new patient has ${before.balance} points`);

  // The visit: the patient books the slot about to start, the doctor sees it, completes it
  // once it has started and writes a history entry.
  const soonSlot = await step(DOCTOR, "add a slot starting in a few seconds", () =>
    addSlot(asDoctor, clinic.clinic_id, new Date(Date.now() + 20_000)),
  );
  const visit = await step(PATIENT, "book the slot about to start", async () =>
    expect(await asPatient.POST("/api/v1/appointments/", { body: { slot: soonSlot.id } }), 201),
  );
  await step(DOCTOR, "see the booking", async () => {
    const page = expect(
      await asDoctor.GET("/api/v1/appointments/", {
        params: { query: { date: isoDay(new Date(soonSlot.start)), tz: "UTC", status: ["booked"] } },
      }),
      200,
    );
    const seen = page.results.find((appointment) => appointment.id === visit.id);
    if (!seen) throw new Error("the doctor does not see the booking");
    check(seen.patient.last_name === "Script", "the doctor sees another patient");
  });
  await step(DOCTOR, "wait for the visit to start", () =>
    sleep(Math.max(0, new Date(soonSlot.start).getTime() - Date.now() + 1500)),
  );
  const completed = await step(DOCTOR, "complete the visit", async () =>
    expect(
      await asDoctor.POST("/api/v1/appointments/{id}/complete/", { params: { path: { id: visit.id } } }),
      200,
    ),
  );
  check(completed.status === "completed", `a completed appointment is ${completed.status}`);
  const entry = await step(DOCTOR, "write a history entry", async () => {
    const written = expect(
      await asDoctor.POST("/api/v1/patients/{patient_id}/history/", {
        params: { path: { patient_id: visit.patient.id } },
        body: {
          entry_type: "diagnosis",
          title: "Seasonal allergic rhinitis",
          details: "Sneezing and itchy eyes every spring.",
          icd10_code: "J30.2",
          appointment: visit.id,
        },
      }),
      201,
    );
    const kind: Schemas["EntryTypeEnum"] = written.entry_type;
    check(kind === "diagnosis", `the entry is a ${kind}`);
    check(written.amends === null, "a first entry amends nothing");
    return written;
  });
  await step(PATIENT, "read my history", async () => {
    const page = expect(await asPatient.GET("/api/v1/history/mine/"), 200);
    check(page.results.some((item) => item.id === entry.id), "the entry is not in my history");
  });
  await step(PATIENT, "earn points for the completed visit", async () => {
    const after = expect(await asPatient.GET("/api/v1/points/balance/"), 200);
    check(
      after.balance === before.balance + after.points_per_completed_appointment,
      `balance ${after.balance} after a completed visit`,
    );
  });
  await integrationJourney(asDoctor, clinic.clinic_id, visit.patient.id);
  await step(PATIENT, "log out", async () =>
    expectStatus(await asPatient.POST("/api/v1/auth/logout/", { body: { refresh: tokens.refresh } }), 204),
  );
  await step(PATIENT, "a logged-out refresh token is refused", async () =>
    expectError(
      await anonymous.POST("/api/v1/auth/token/refresh/", { body: { refresh: tokens.refresh } }),
      401,
      "token_not_valid",
    ),
  );
}

type Api = ReturnType<typeof client>;

/** A clinic's practice-management system (docs/integrations.md): its admin creates a client,
 * the system gets a token with client credentials, reads the schedule, subscribes to webhooks,
 * books through FHIR for a patient the clinic knows, and stops working once revoked. */
async function integrationJourney(asDoctor: Api, clinicId: string, patientId: string): Promise<void> {
  const adminLogin = await step(INTEGRATION, "the clinic admin logs in", () =>
    logIn(demoClinicAdmin, demoPassword),
  );
  const asAdmin = client(adminLogin);
  const created = await step(INTEGRATION, "the admin creates a client (secret shown once)", async () => {
    const made = expect(
      await asAdmin.POST("/api/v1/integration-clients/", {
        body: {
          clinic: clinicId,
          name: `TypeScript PMS ${Date.now()}`,
          scopes: ["schedule:read", "appointments:read", "appointments:write", "webhooks:manage", "system/*.read"],
        },
      }),
      201,
    );
    const secret = made.client_secret;
    if (!secret || !secret.startsWith("csk_live_")) throw new Error("no csk_live_ secret in the answer");
    const method: Schemas["AuthMethodEnum"] = made.auth_method;
    check(method === "client_secret_post", `a new client authenticates with ${method}`);
    return { id: made.id, secret };
  });
  const token = await step(INTEGRATION, "get a token (client credentials)", async () => {
    const answer = expect(
      await anonymous.POST("/api/v1/oauth/token/", {
        body: { grant_type: "client_credentials", client_id: created.id, client_secret: created.secret },
      }),
      200,
    );
    check(answer.token_type === "Bearer", `token_type ${answer.token_type}`);
    check(answer.expires_in > 0 && answer.expires_in <= 3600, `expires_in ${answer.expires_in}`);
    check(answer.scope.split(" ").includes("schedule:read"), `scope ${answer.scope}`);
    return answer.access_token;
  });
  const asClient = client({ access: token, refresh: "" });
  const slot = await step(DOCTOR, "add a slot for the integration to book", () =>
    addSlot(asDoctor, clinicId, new Date(Date.now() + 4 * 24 * 3600 * 1000)),
  );
  await step(INTEGRATION, "read the clinic's schedule", async () => {
    const page = expect(await asClient.GET("/api/v1/slots/", { params: { query: { page_size: 100 } } }), 200);
    check(page.results.every((row) => row.clinic === clinicId), "a slot of another clinic");
  });
  const endpoint = await step(INTEGRATION, "subscribe to webhooks", async () =>
    expect(
      await asClient.POST("/api/v1/webhook-endpoints/", {
        body: { clinic: clinicId, url: "https://93.184.215.14/careslot", event_types: ["appointment.cancelled"] },
      }),
      201,
    ),
  );
  await step(INTEGRATION, "a platform-admin endpoint is out of reach", async () =>
    expectError(await asClient.GET("/api/v1/users/"), 403, "insufficient_scope"),
  );
  const appointmentId = await step(INTEGRATION, "book through FHIR for a patient of the clinic", () =>
    bookThroughFhir(token, slot.id, patientId),
  );
  await step(INTEGRATION, "read the booking and cancel it", async () => {
    const read = expect(
      await asClient.GET("/api/v1/appointments/{id}/", { params: { path: { id: appointmentId } } }),
      200,
    );
    check(read.status === "booked", `the FHIR booking is ${read.status}`);
    const cancelled = expect(
      await asClient.POST("/api/v1/appointments/{id}/cancel/", {
        params: { path: { id: appointmentId } },
        body: { reason: "Cancelled by the practice system." },
      }),
      200,
    );
    check(cancelled.cancelled_by === null, "a client's cancellation names a person");
  });
  await step(INTEGRATION, "unsubscribe", async () =>
    expectStatus(
      await asClient.DELETE("/api/v1/webhook-endpoints/{id}/", { params: { path: { id: endpoint.id } } }),
      204,
    ),
  );
  await step(INTEGRATION, "the admin revokes the client", async () =>
    expectStatus(
      await asAdmin.DELETE("/api/v1/integration-clients/{id}/", { params: { path: { id: created.id } } }),
      204,
    ),
  );
  await step(INTEGRATION, "its token stops working on the next request", async () =>
    expectError(await asClient.GET("/api/v1/slots/"), 401, "token_revoked"),
  );
}

/** FHIR stays out of the OpenAPI file (docs/fhir.md): a plain fetch, its answer checked. */
async function bookThroughFhir(token: string, slotId: string, patientId: string): Promise<string> {
  const response = await fetch(`${baseUrl.replace(/\/$/, "")}/fhir/r4/Appointment`, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${token}`,
      "Content-Type": "application/fhir+json",
      Accept: "application/fhir+json",
    },
    body: JSON.stringify({
      resourceType: "Appointment",
      status: "booked",
      slot: [{ reference: `Slot/${slotId}` }],
      participant: [{ actor: { reference: `Patient/${patientId}` }, status: "accepted" }],
    }),
  });
  const body: unknown = await response.json();
  check(response.status === 201, `FHIR booking: ${response.status} ${JSON.stringify(body)}`);
  if (typeof body !== "object" || body === null || !("id" in body) || typeof body.id !== "string") {
    throw new Error("the FHIR answer has no Appointment id");
  }
  check("resourceType" in body && body.resourceType === "Appointment", "not an Appointment");
  return body.id;
}

/** A 30-minute slot at `start`, or the first free half hour after it (a rerun's slots). */
async function addSlot(api: Api, clinic: string, start: Date): Promise<Schemas["Slot"]> {
  for (let attempt = 0; attempt < 48; attempt += 1) {
    const from = new Date(start.getTime() + attempt * 30 * 60_000);
    const to = new Date(from.getTime() + 30 * 60_000);
    const result = await api.POST("/api/v1/slots/", {
      body: { clinic, start: from.toISOString(), end: to.toISOString() },
    });
    if (result.response.status !== 409) {
      const slot = expect(result, 201);
      check(slot.status === "available", `a new slot is ${slot.status}`);
      return slot;
    }
  }
  throw new Error("no free half hour for a slot");
}

main().then(
  () => console.log(`typescript journeys: ${passed} steps passed, 0 failed`),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    console.log(`typescript journeys: ${passed} steps passed, 1 failed`);
    process.exitCode = 1;
  },
);
