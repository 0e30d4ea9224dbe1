"""SendGuard. The decision core may run compiled (mypyc); see app/native.py."""

from app import native

native.use_if_current(__path__)
