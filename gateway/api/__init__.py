"""The JSON API used by the mini-program, kiosk and hotline channels."""
