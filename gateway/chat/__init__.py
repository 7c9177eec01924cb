"""Live chat with 12333 agents (在线人工咨询, LD/T 01 5.5.2 b): a person opens a text conversation from the web or
the mini-program, waits in a queue that shows their place, an agent takes it, answers, and closes it; the
transcript is kept with the person. Everything lives in the database, so polling works across processes."""
