"""The seed's tree loading, written with ThingsBoard's official Python REST client (`tb-rest-client`).

Usage: python seed_recursion.py <base_url> <username> <password>

Logs in (not timed), lists the tenant's assets page by page, takes the site as the root and
recurses with one `GET /api/relations?fromId&fromType&relationType=Contains` per asset, depth
first, as most ThingsBoard apps do. Prints one JSON line: {"nodes": N, "ms": elapsed, "path_style": bool}.
"""

import json
import sys
import time

from tb_rest_client.rest import ApiException
from tb_rest_client.rest_client import RestClient


def contains_from(client, entity, path_style):
    """One level of `Contains` relations out of `entity`, parsed into the client's models.

    `RestClient.find_by_from` calls the path-style endpoint
    (`/api/relations/from/{fromType}/{fromId}/Contains`); where a server only has the
    query-style twin (`/api/relations?fromId&fromType&relationType`), the same client's
    `ApiClient` calls that instead: one request either way."""
    if path_style[0]:
        try:
            return client.find_by_from(entity, "Contains")
        except ApiException as e:
            if e.status != 404:
                raise
            path_style[0] = False
    return client.api_client.call_api(
        "/api/relations", "GET", {},
        [("fromId", entity.id), ("fromType", entity.entity_type), ("relationType", "Contains")],
        {"Accept": "application/json"},
        response_type="list[EntityRelation]",
        auth_settings=["ApiKeyForm", "HttpLoginForm"],
        _return_http_data_only=True,
    )


def main(base_url, username, password):
    client = RestClient(base_url=base_url)
    client.login(username=username, password=password)

    started = time.perf_counter()
    assets = []
    page = 0
    while True:
        data = client.get_tenant_assets(page_size=1000, page=page)
        assets.extend(data.data)
        if not data.has_next:
            break
        page += 1
    root = next(a for a in assets if a.type == "site")

    nodes = 0
    path_style = [True]
    seen = set()
    stack = [root.id]
    while stack:
        entity = stack.pop()
        if entity.id in seen:
            continue
        seen.add(entity.id)
        for relation in contains_from(client, entity, path_style):
            nodes += 1
            if relation.to.entity_type == "ASSET":
                stack.append(relation.to)
    elapsed_ms = (time.perf_counter() - started) * 1000.0
    print(json.dumps({"nodes": nodes, "ms": elapsed_ms, "path_style": path_style[0]}), flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
