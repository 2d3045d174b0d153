"""Who may do what: users and their communes, roles and the one permission matrix,
sign-in with a second factor (TOTP), sessions, throttling, invitations and two-person
resets. Every route asks this package; it asks nobody downstream."""
