"""What every API view shares: authentication, permissions, throttles, errors, pagination,
conditional GET and the OpenAPI schema tweaks. The routes are in readinggroup/api_urls.py;
logging in for a token is members/auth_api.py."""
