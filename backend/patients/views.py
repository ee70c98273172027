from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Role
from accounts.permissions import any_role
from common.schema import error_response
from common.serializers import UUID_PATTERN

from . import services
from .filters import PatientFilter
from .models import Patient
from .permissions import IsPatientSelfForWrites
from .selectors import (
    claimable_dependents_of,
    dependents_of,
    own_patient_profile,
    patients_visible_to,
    proxy_grants_of,
)
from .serializers import (
    ClaimInvitationSerializer,
    ClaimResultSerializer,
    ClaimSerializer,
    DependentCreateSerializer,
    DependentSerializer,
    PatientSerializer,
    PatientUpdateSerializer,
    ProxyGrantCreateSerializer,
    ProxyGrantSerializer,
    ProxyInvitationAcceptSerializer,
)
from .services import update_patient_profile

TAGS = ["patients"]
DEPENDENT_TAGS = ["dependents"]
PROXY_TAGS = ["proxy grants"]
IsPatient = any_role(Role.PATIENT)


@extend_schema_view(
    list=extend_schema(
        summary="List patients",
        description=(
            "A patient sees only themselves; a doctor sees the patients who have booked with "
            "them; a platform admin sees everyone. Clinic admins see nobody."
        ),
        tags=TAGS,
    ),
    retrieve=extend_schema(summary="Get a patient", tags=TAGS),
    partial_update=extend_schema(
        summary="Update a patient profile (the patient only)",
        tags=TAGS,
        request=PatientUpdateSerializer(partial=True),
        responses={200: PatientSerializer},
    ),
)
class PatientViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = PatientSerializer
    permission_classes = [IsAuthenticated, IsPatientSelfForWrites]
    filterset_class = PatientFilter
    ordering_fields = ["created_at", "user__last_name", "date_of_birth"]
    ordering = ["user__last_name", "user__first_name"]

    def get_queryset(self):
        return patients_visible_to(self.request.user)

    def partial_update(self, request: Request, pk=None) -> Response:
        patient = self.get_object()
        return self._update(request, patient)

    @extend_schema(summary="My patient profile", tags=TAGS, responses={200: PatientSerializer})
    @action(detail=False, methods=["get"], url_path="me")
    def me(self, request: Request) -> Response:
        return Response(PatientSerializer(self._own_profile(request)).data)

    @extend_schema(
        summary="Update my patient profile",
        tags=TAGS,
        request=PatientUpdateSerializer(partial=True),
        responses={200: PatientSerializer},
    )
    @me.mapping.patch
    def update_me(self, request: Request) -> Response:
        return self._update(request, self._own_profile(request))

    def _own_profile(self, request: Request) -> Patient:
        return own_patient_profile(request.user)

    def _update(self, request: Request, patient: Patient) -> Response:
        data = PatientUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        patient = update_patient_profile(patient=patient, **data.validated_data)
        return Response(PatientSerializer(patient).data)


@extend_schema_view(
    list=extend_schema(
        summary="My dependents",
        description=(
            "The people without an account of their own you act for: your children until they "
            "come of age (AGE_OF_MAJORITY), and adults in your care. Book for one with "
            "`patient` on `POST /appointments/` (docs/families.md)."
        ),
        tags=DEPENDENT_TAGS,
    ),
    retrieve=extend_schema(summary="One of my dependents", tags=DEPENDENT_TAGS),
)
class DependentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = DependentSerializer
    permission_classes = [IsAuthenticated, IsPatient]
    lookup_field = "dependent_id"
    lookup_url_kwarg = "id"
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self):
        return dependents_of(self.request.user)

    def get_permissions(self):
        if self.action == "claim":
            return [AllowAny()]
        return super().get_permissions()

    @extend_schema(
        summary="Add a dependent",
        description=(
            "A profile with no account: nobody logs in as it, you book, cancel, reschedule, "
            "join waitlists and read the history for it. To doctors it is the patient. A "
            "dependent has no dependents of their own (409 `dependent_not_allowed`); at most "
            "MAX_DEPENDENTS_PER_PATIENT (10) (409 `dependent_limit_reached`)."
        ),
        tags=DEPENDENT_TAGS,
        request=DependentCreateSerializer,
        responses={
            201: DependentSerializer,
            409: error_response(
                "DependentConflict",
                "No more dependents may be added to this account.",
                "dependent_limit_reached",
                "dependent_not_allowed",
            ),
        },
    )
    def create(self, request: Request) -> Response:
        data = DependentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        guardian = own_patient_profile(request.user, refusal=PermissionDenied)
        guardianship = services.add_dependent(guardian=guardian, **data.validated_data)
        return Response(
            DependentSerializer(self.get_queryset().get(pk=guardianship.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="Correct a dependent's details",
        description="A corrected date of birth moves their coming of age, and your access's end.",
        tags=DEPENDENT_TAGS,
        request=DependentCreateSerializer(partial=True),
        responses={200: DependentSerializer},
    )
    def partial_update(self, request: Request, id=None) -> Response:
        guardianship = self.get_object()
        data = DependentCreateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.update_dependent(guardianship=guardianship, **data.validated_data)
        return Response(DependentSerializer(self.get_queryset().get(pk=guardianship.pk)).data)

    @extend_schema(
        summary="Invite a dependent to claim their profile",
        description=(
            "Once the dependent has come of age (AGE_OF_MAJORITY; an adult in your care at any "
            "time), a link is mailed to their own `email`; with it they take the profile over "
            "with an account of their own and your access ends (docs/families.md). A minor: 409 "
            "`dependent_not_of_age`. The answer is the same whether or not the address has an "
            "account already (that address is told instead)."
        ),
        tags=DEPENDENT_TAGS,
        request=ClaimInvitationSerializer,
        responses={
            202: None,
            409: error_response(
                "DependentNotOfAge", "The dependent is a minor.", "dependent_not_of_age"
            ),
        },
    )
    @action(detail=True, methods=["post"], url_path="claim-invitation")
    def claim_invitation(self, request: Request, id=None) -> Response:
        data = ClaimInvitationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        guardianship = get_object_or_404(claimable_dependents_of(request.user), dependent_id=id)
        services.invite_to_claim(guardianship=guardianship, email=data.validated_data["email"])
        return Response(status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Claim a dependent's profile with the invitation's token",
        description=(
            "No login: the token of the invitation's link, and a password. The profile's user "
            "becomes an account at the invited address (confirmed by the link), with the "
            "patient role; the guardian's access ends. A token works once, for "
            "DEPENDENT_CLAIM_MAX_AGE_SECONDS (7 days): otherwise 400 `invalid_token`. An "
            "address taken meanwhile: 409 `email_taken`."
        ),
        tags=DEPENDENT_TAGS,
        request=ClaimSerializer,
        responses={
            200: ClaimResultSerializer,
            409: error_response(
                "ClaimConflict", "The address has an account already.", "email_taken"
            ),
        },
    )
    @action(detail=False, methods=["post"])
    def claim(self, request: Request) -> Response:
        data = ClaimSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        patient = services.claim_dependent(**data.validated_data)
        return Response(ClaimResultSerializer(patient).data)


@extend_schema_view(
    list=extend_schema(
        summary="Proxy grants I gave or hold",
        description=(
            "Newest first, live or not: those you gave other patients to act for you, and those "
            "others gave you. `patient` is the patient id a grantee books and reads for."
        ),
        tags=PROXY_TAGS,
    ),
    retrieve=extend_schema(summary="One proxy grant I gave or hold", tags=PROXY_TAGS),
)
class ProxyGrantViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ProxyGrantSerializer
    permission_classes = [IsAuthenticated, IsPatient]
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self):
        return proxy_grants_of(self.request.user)

    @extend_schema(
        summary="Invite another patient account to act for me",
        description=(
            "Scope `booking`: they book, cancel, reschedule and join waitlists for you; "
            "`booking_history`: also read your medical history and its access log. The grant "
            "starts as an invitation (`status` `invited`, no `grantee`): the address is mailed "
            "a single-use link, valid PROXY_INVITATION_MAX_AGE_SECONDS (7 days), that the "
            "patient account with that address accepts (`POST /proxy-grants/accept/`); an "
            "address without one is told to sign up first. The answer is the same whether the "
            "address has an account or not. Once accepted it lasts until `expires_at` (at most "
            "366 days ahead), unless either of you revokes it first; a new invitation to the "
            "same address replaces the pending one. Every use is written to your access log "
            "(docs/families.md). Your own address: 400 on `grantee_email`."
        ),
        tags=PROXY_TAGS,
        request=ProxyGrantCreateSerializer,
        responses={201: ProxyGrantSerializer},
    )
    def create(self, request: Request) -> Response:
        data = ProxyGrantCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        patient = own_patient_profile(request.user, refusal=PermissionDenied)
        grant = services.invite_proxy(
            patient=patient,
            email=data.validated_data["grantee_email"],
            scope=data.validated_data["scope"],
            expires_at=data.validated_data["expires_at"],
        )
        return Response(
            ProxyGrantSerializer(self.get_queryset().get(pk=grant.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="Accept a proxy grant's invitation with its token",
        description=(
            "Signed in as the patient account with the invited address: the grant goes live, "
            "its permissions are written and both sides are mailed. A token works once, "
            "before the invitation's end and the grant's `expires_at`, and only for the "
            "invited account: any other case (another account, used, revoked, expired, "
            "forged) is the same 400 `invalid_token`."
        ),
        tags=PROXY_TAGS,
        request=ProxyInvitationAcceptSerializer,
        responses={200: ProxyGrantSerializer},
    )
    @action(detail=False, methods=["post"])
    def accept(self, request: Request) -> Response:
        data = ProxyInvitationAcceptSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        grant = services.accept_proxy_invitation(
            token=data.validated_data["token"], user=request.user
        )
        return Response(ProxyGrantSerializer(self.get_queryset().get(pk=grant.pk)).data)

    @extend_schema(
        summary="End a proxy grant (the patient, or the grantee giving it up)",
        description=(
            "Access ends at once; both are mailed. The patient may also withdraw a pending "
            "invitation (its link stops working)."
        ),
        tags=PROXY_TAGS,
        request=None,
        responses={
            200: ProxyGrantSerializer,
            409: error_response(
                "ProxyGrantEnded", "Revoked or expired already.", "proxy_grant_ended"
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk=None) -> Response:
        grant = services.revoke_proxy_access(grant=self.get_object(), by=request.user)
        return Response(ProxyGrantSerializer(self.get_queryset().get(pk=grant.pk)).data)
