"""Drives the emulator with ThingsBoard's official Python REST client (`tb-rest-client`).

Usage: python fidelity.py <base_url>

Every answer is parsed by the client's generated models, so a shape the real server would not
send fails here. Prints one line per step; exits non-zero with the failing step on error.
"""

import sys
import traceback

from tb_rest_client.rest_client import RestClient
from tb_rest_client.models import (
    AlarmInfo,
    Asset,
    EntityRelationInfo,
    EntityRelationsQuery,
    PageDataAlarmInfo,
    PageDataAsset,
    RelationEntityTypeFilter,
    RelationsSearchParameters,
)

STEP = ["start"]


def step(name):
    STEP[0] = name
    print(f"step: {name}", flush=True)


def field(obj, name):
    """A field of a generated model, or of a plain dict where the client does not parse."""
    return obj[name] if isinstance(obj, dict) else getattr(obj, name)


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def main(base_url):
    step("tenant login and current user")
    tenant = RestClient(base_url=base_url)
    tenant.login(username="tenant@thingsboard.org", password="tenant")
    me = tenant.get_user()
    check(me.authority == "TENANT_ADMIN", f"authority {me.authority!r}")

    step("tenant assets")
    assets = tenant.get_tenant_assets(page_size=100, page=0, sort_property="name", sort_order="ASC")
    check(isinstance(assets, PageDataAsset), f"got {type(assets)}")
    check(all(isinstance(a, Asset) for a in assets.data), "assets are Asset models")
    by_name = {a.name: a for a in assets.data}
    check("HQ" in by_name and "Chiller Plant" in by_name, f"names {sorted(by_name)[:10]}")
    hq = by_name["HQ"]
    check(hq.type == "building", f"HQ type {hq.type!r}")
    check(hq.id.entity_type == "ASSET", f"HQ id {hq.id}")

    step("customer login and customer assets")
    customer = RestClient(base_url=base_url)
    customer.login(username="customer@thingsboard.org", password="customer")
    customer_user = customer.get_user()
    check(customer_user.authority == "CUSTOMER_USER", f"authority {customer_user.authority!r}")
    own = customer.get_customer_assets(customer_user.customer_id, page_size=100, page=0)
    names = {a.name for a in own.data}
    check("HQ" in names and "Chiller Plant" not in names, f"customer sees {sorted(names)[:10]}")
    check(own.total_elements == len(own.data), "one page holds everything")

    step("relations by query")
    query = EntityRelationsQuery(
        parameters=RelationsSearchParameters(
            root_id=hq.id.id,
            root_type="ASSET",
            direction="FROM",
            relation_type_group="COMMON",
            max_level=0,
            fetch_last_level_only=False,
        ),
        filters=[RelationEntityTypeFilter(relation_type="Contains", entity_types=["DEVICE"])],
    )
    relations = tenant.find_info_by_query(query)
    check(len(relations) > 50, f"{len(relations)} relations")
    check(all(isinstance(r, EntityRelationInfo) for r in relations), "EntityRelationInfo models")
    to_names = {r.to_name for r in relations}
    check("Lobby Thermostat" in to_names, "the lobby thermostat is below HQ")

    step("latest time series")
    devices = tenant.get_tenant_devices(page_size=10, page=0, text_search="Lobby Thermostat")
    check(len(devices.data) == 1, f"{len(devices.data)} devices match")
    thermostat = devices.data[0]
    latest = tenant.get_latest_timeseries(thermostat.id, keys="temperature,setpoint")
    check(set(latest) == {"temperature", "setpoint"}, f"keys {sorted(latest)}")
    temperature = field(latest["temperature"][0], "value")
    check(isinstance(temperature, str), f"value {latest['temperature']!r}")
    float(temperature)

    step("attributes")
    attributes = tenant.get_attributes(thermostat.id, keys="minSetpoint,maxSetpoint")
    values = {field(a, "key"): field(a, "value") for a in attributes}
    check(values == {"minSetpoint": 16, "maxSetpoint": 28}, f"attributes {values}")
    server = tenant.get_attributes_by_scope(thermostat.id, "SERVER_SCOPE", keys="active")
    check(len(server) == 1, f"server attributes {server}")

    step("two-way RPC")
    reply = tenant.handle_two_way_device_rpc_request(
        thermostat.id, {"method": "setTemperature", "params": {"value": 22.5}, "timeout": 5000}
    )
    check(reply == {"ok": True, "setpoint": 22.5}, f"reply {reply!r}")

    step("alarms")
    alarms = tenant.get_all_alarms(page_size=100, page=0, search_status="ACTIVE", sort_property="createdTime", sort_order="DESC")
    check(isinstance(alarms, PageDataAlarmInfo), f"got {type(alarms)}")
    check(alarms.total_elements > 0, "offline devices have alarms")
    first = alarms.data[0]
    check(isinstance(first, AlarmInfo), f"got {type(first)}")
    check(first.status == "ACTIVE_UNACK" and first.severity == "CRITICAL", f"alarm {first.status} {first.severity}")
    by_entity = tenant.get_alarms(first.originator, page_size=10, page=0)
    check(by_entity.total_elements >= 1, "the originator lists its alarm")
    customer_alarms = customer.get_all_alarms(page_size=100, page=0)
    check(customer_alarms.total_elements <= alarms.total_elements, "a customer sees no more than the tenant")

    print("fidelity: all steps passed", flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: fidelity.py <base_url>", file=sys.stderr)
        sys.exit(2)
    try:
        main(sys.argv[1])
    except Exception:
        print(f"fidelity: step '{STEP[0]}' failed", file=sys.stderr, flush=True)
        traceback.print_exc()
        sys.exit(1)
