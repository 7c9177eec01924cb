"""Window appointments (LD/T 01 5.1): halls, slots, bookings that never overbook, check-in and the hall queue."""
