"""What happens to accounts, for the apps above this one.

`sessions_revoked` is sent, inside the transaction, by the service that ends every session of a
user (password reset or change, deactivation, logging out everywhere), with `user`: whatever
else works as a credential of that user (a calendar feed's URL) ends with them.
"""

from django.dispatch import Signal

sessions_revoked = Signal()
