"""Certificates a person downloads, prints or is sent (证明打印, LD/T 01 5.4.2): one use case for every channel."""
