"""SendGuard. The decision core may run compiled (mypyc); see app/native.py."""

