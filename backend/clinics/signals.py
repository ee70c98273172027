"""What happens to clinics, for the apps above this one.

`clinic_admin_removed` is sent, inside the transaction, when `user` stops administering `clinic`
(with `clinic` and `user`): whatever they set up for the clinic (webhook endpoints) stops
working for them.
"""

from django.dispatch import Signal

clinic_admin_removed = Signal()
