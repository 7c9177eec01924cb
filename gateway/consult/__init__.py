"""Consultation and complaints (咨询投诉, LD/T 01 5.5): the ledger of questions the smart replies could not answer
(5.5.4) and the mailbox of consultations, suggestions, complaints and reports with working-day time limits
(5.5.1, 5.5.3, 5.5.5). No Flask here: the channels and the API call these use cases."""
