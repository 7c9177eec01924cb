"""Certificates with an electronic seal and anti-forgery codes (LD/T 01 5.4.2.4); its own issue."""
