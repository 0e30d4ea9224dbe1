"""The pure decision rules: plain data in, records out; no I/O, no clock, no Faust."""

from app import native

native.use_if_current(__path__)
