from accounts.models import Role
from accounts.permissions import any_role

IsPatient = any_role(Role.PATIENT)
SeesWaitlistLengths = any_role(Role.DOCTOR, Role.CLINIC_ADMIN, Role.PLATFORM_ADMIN)
