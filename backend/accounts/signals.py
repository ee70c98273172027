"""What happens to accounts, for the apps above this one.

`sessions_revoked` is sent, inside the transaction, by the service that ends every session of a
user (password reset or change, deactivation, logging out everywhere), with `user`: whatever
else works as a credential of that user (a calendar feed's URL) ends with them.

`user_deactivated` is sent, inside the transaction, when an account is switched off, with `user`:
what they set up for others (a clinic's webhook endpoints) stops working for them.
"""

from django.dispatch import Signal

sessions_revoked = Signal()
user_deactivated = Signal()
