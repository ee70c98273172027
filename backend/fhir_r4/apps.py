from django.apps import AppConfig


class FhirR4Config(AppConfig):
    # Not `fhir`: that name belongs to the fhir.resources package the tests validate with.
    name = "fhir_r4"
    verbose_name = "FHIR R4 scheduling API"
