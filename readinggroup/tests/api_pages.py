"""Reading a whole cursor-paged API list in tests."""


def all_pages(client, url: str, params: dict) -> list[dict]:
    """Every page of a list, following `next`."""
    results, response = [], client.get(url, params)
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        results += body["results"]
        if not body["next"]:
            return results
        response = client.get(body["next"])
