"""Units (employers, 参保单位): unit accounts opened by the unit's digital certificate, their authorised clerks
(经办人) and what a clerk may do for the unit (LD/T 01 6.2.2; DESIGN "Identity")."""
