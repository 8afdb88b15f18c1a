"""What every API view shares: authentication, permissions, throttles, errors, pagination,
conditional GET and the OpenAPI schema tweaks. The routes themselves are in readinggroup/api.py."""
