"""Front ends: one package per channel (web, kiosk, hotline, miniprogram). Presentation and policy only."""
