"""Authorised proxies (授权代办, Regulation Art. 30): a person lets a relative or carer act for them online."""
