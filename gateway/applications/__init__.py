"""Online applications and progress (LD/T 01 5.2.1, 5.3; GB/T 31621 5.2.1, 6.2.1.3, 13.3.4)."""
