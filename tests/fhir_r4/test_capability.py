"""The CapabilityStatement is honest: it validates, it lists what the routes do, and
docs/fhir.md carries the current copy."""

import json
import re
from pathlib import Path

import pytest
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from fhir_r4.capability import capability_statement
from fhir_r4.registry import RESOURCE_TYPES
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

DOC = Path(__file__).parents[2] / "docs" / "fhir.md"


def test_docs_carry_the_current_capability_statement():
    text = DOC.read_text()
    block = re.search(r"## CapabilityStatement.*?```json\n(.*?)```", text, re.DOTALL)
    assert block, "docs/fhir.md lost its CapabilityStatement"
    documented = json.loads(block.group(1))
    assert documented == capability_statement("https://careslot.example/fhir/r4"), (
        "regenerate the CapabilityStatement in docs/fhir.md"
    )


def test_every_listed_interaction_answers_and_no_other_does(client_for):
    client = client_for(PatientFactory().user)
    statement = CapabilityStatement.model_validate(client.get("/fhir/r4/metadata").json())
    listed = {resource.type: resource for resource in statement.rest[0].resource}
    assert set(listed) == {resource_type.name for resource_type in RESOURCE_TYPES}
    for name, resource in listed.items():
        interactions = {interaction.code for interaction in resource.interaction}
        assert {"read", "search-type"} <= interactions
        assert client.get(f"/fhir/r4/{name}").status_code == 200
        for param in resource.searchParam:
            # each listed parameter is understood: an odd value may be refused, never the name
            response = client.get(f"/fhir/r4/{name}?{param.name}=x")
            codes = [
                c["code"]
                for issue in response.json().get("issue", [])
                for c in issue["details"]["coding"]
            ]
            assert "unsupported_search_parameter" not in codes, (name, param.name)
        writes = client.post(f"/fhir/r4/{name}", {}, format="json").status_code
        if "create" in interactions:
            assert writes != 405
        else:
            assert writes == 405, name


def test_every_stored_status_has_a_fhir_code():
    from appointments.models import AppointmentStatus
    from fhir_r4.resources import APPOINTMENT_STATUS, SLOT_STATUS
    from scheduling.models import SlotStatus

    assert set(SLOT_STATUS) == set(SlotStatus.values)
    assert set(APPOINTMENT_STATUS) == set(AppointmentStatus.values)
