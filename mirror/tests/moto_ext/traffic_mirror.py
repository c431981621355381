"""Traffic Mirroring for moto's EC2 backend, validating as AWS does.

moto (5.2.x) implements only part of Traffic Mirroring: targets and filters
(5.2.1), plus sessions (5.2.5). Filter rules, network services, and the
deletes of filters and targets are missing (HTTP 500), ClientTokens are not
idempotent, DryRun is ignored, and nothing is validated. `register()`
installs a complete implementation of the family on moto's EC2Response, so
that mirador's real SDK calls run over HTTP end to end:

  Create/Describe/Delete TrafficMirrorTarget(s)
  Create/Describe/Delete TrafficMirrorFilter(s)
  Create/Describe/Modify/Delete TrafficMirrorFilterRule(s)
  ModifyTrafficMirrorFilterNetworkServices
  Create/Describe/Modify/Delete TrafficMirrorSession(s)

The implementation replaces moto's own versions of the operations it has, so
behaviour does not depend on the moto version. State lives on each EC2
backend (per account and region) and goes away with `POST /moto-api/reset`.
ENIs come from moto (RunInstances / CreateNetworkInterface).

Validations (AWS documents the limits; the error codes of the ones marked *
are not documented and are chosen here to be recognisable):
  - exactly one of NetworkInterfaceId, NetworkLoadBalancerArn,
    GatewayLoadBalancerEndpointId for a target (InvalidInput, as moto)
  - source and target ENIs exist (InvalidNetworkInterfaceID.NotFound)
  - an ENI cannot be both a source and a target (InvalidParameterValue*)
  - 3 sessions per source ENI (TrafficMirrorSessionsPerInterfaceLimitExceeded*)
  - session number 1..32766, unique per ENI (InvalidParameterValue*)
  - packet length 1..8500 for load balancer targets (InvalidParameterValue)
  - VNI 0..16777215; omitted -> a random VNI unique in the account
  - 10 rules per filter (TrafficMirrorFilterRuleLimitExceeded*), rule numbers
    unique per direction (TrafficMirrorFilterRuleAlreadyExists*), port ranges
    only for TCP/UDP (InvalidParameterValue)
  - a target or filter in use by a session cannot be deleted
    (DependencyViolation*)
  - unknown ids: Invalid<Thing>Id.NotFound
  - DryRun=true: DryRunOperation, nothing changes
  - ClientToken: the same token and parameters return the first result
    (even if that resource was deleted since, as EC2's idempotency cache
    does); the same token with other parameters: IdempotentParameterMismatch
"""

import json
import random
import secrets

from moto.core.responses import ActionResult
from moto.ec2.exceptions import DryRunClientError, EC2ClientError

MAX_RULES_PER_FILTER = 10
MAX_SESSIONS_PER_ENI = 3
MAX_SESSION_NUMBER = 32766
MAX_VNI = (1 << 24) - 1
MAX_PACKET_LENGTH_LB = 8500


class Store:
    """Traffic-mirror state of one EC2 backend."""

    def __init__(self):
        self.targets = {}
        self.filters = {}
        self.rules = {}  # rule id -> rule dict (with TrafficMirrorFilterId)
        self.sessions = {}
        self.tokens = {}  # (action, token) -> (params fingerprint, response dict)


def store_of(backend):
    st = getattr(backend, "_mirador_traffic_mirror", None)
    if st is None:
        st = Store()
        backend._mirador_traffic_mirror = st
    return st


def new_id(prefix):
    return f"{prefix}-{secrets.token_hex(9)[:17]}"


def err(code, message):
    return EC2ClientError(code, message)


def tags_for(tag_specs, resource_type):
    out = []
    for spec in tag_specs or []:
        if spec.get("ResourceType") == resource_type:
            for t in spec.get("Tags") or []:
                out.append({"Key": t.get("Key"), "Value": t.get("Value", "")})
    return out


def port_range(p):
    if not p:
        return None
    return {"FromPort": int(p.get("FromPort")), "ToPort": int(p.get("ToPort"))}


def paginate(items, key, params):
    """Applies MaxResults / NextToken, as EC2 does."""
    start = int(params.get("NextToken") or 0)
    max_results = params.get("MaxResults")
    if max_results:
        end = start + int(max_results)
    else:
        end = len(items)
    result = {key: items[start:end]}
    if end < len(items):
        result["NextToken"] = str(end)
    return result


def apply_filters(items, filters, names):
    """EC2-style Filters: name -> dict key; values OR-ed, filters AND-ed."""
    for f in filters or []:
        name = f.get("Name")
        values = f.get("Values") or f.get("Value") or []
        if name.startswith("tag:"):
            key = name[4:]
            items = [i for i in items if any(t["Key"] == key and t["Value"] in values for t in i.get("Tags", []))]
        elif name in names:
            field = names[name]
            items = [i for i in items if str(i.get(field)) in values]
    return items


class TrafficMirrorOps:
    """Mixed into moto's EC2Response by register()."""

    # -- helpers -------------------------------------------------------

    def _tm(self):
        return store_of(self.ec2_backend)

    def _tm_param(self, name, default=None):
        return self._get_param(name, default)

    def _tm_dry_run(self):
        if self._get_param("DryRun", False) in (True, "true", "True"):
            raise DryRunClientError()

    def _tm_idempotent(self, action, fingerprint, create):
        token = self._get_param("ClientToken")
        st = self._tm()
        if token:
            seen = st.tokens.get((action, token))
            if seen is not None:
                if seen[0] != fingerprint:
                    raise err(
                        "IdempotentParameterMismatch",
                        "The client token you have provided is associated with a resource "
                        "that is already deleted or has different parameters.",
                    )
                return seen[1]
        result = create()
        if token:
            st.tokens[(action, token)] = (fingerprint, result)
        return result

    def _tm_eni(self, eni_id):
        # Raises InvalidNetworkInterfaceID.NotFound for unknown ENIs.
        return self.ec2_backend.get_network_interface(eni_id)

    def _tm_get(self, table, ident, code):
        st = self._tm()
        item = getattr(st, table).get(ident)
        if item is None:
            raise err(code, f"The {table[:-1]} '{ident}' does not exist.")
        return item

    def _tm_filter_view(self, f):
        st = self._tm()
        rules = [r for r in st.rules.values() if r["TrafficMirrorFilterId"] == f["TrafficMirrorFilterId"]]
        rules.sort(key=lambda r: r["RuleNumber"])
        view = dict(f)
        view["IngressFilterRules"] = [r for r in rules if r["TrafficDirection"] == "ingress"]
        view["EgressFilterRules"] = [r for r in rules if r["TrafficDirection"] == "egress"]
        return view

    # -- targets -------------------------------------------------------

    def create_traffic_mirror_target(self):
        self._tm_dry_run()
        eni = self._get_param("NetworkInterfaceId")
        nlb = self._get_param("NetworkLoadBalancerArn")
        gwlbe = self._get_param("GatewayLoadBalancerEndpointId")
        given = [x for x in (eni, nlb, gwlbe) if x]
        if len(given) != 1:
            raise err(
                "InvalidInput",
                "Invalid number of inputs. Only 1 of NetworkInterfaceId, NetworkLoadBalancerArn or "
                "GatewayLoadBalancerEndpointId required.",
            )
        st = self._tm()
        if eni:
            self._tm_eni(eni)
            for s in st.sessions.values():
                if s["NetworkInterfaceId"] == eni:
                    raise err(
                        "InvalidParameterValue",
                        f"The network interface {eni} is a traffic mirror source and cannot be a target.",
                    )
        description = self._get_param("Description")
        tags = tags_for(self._get_param("TagSpecifications"), "traffic-mirror-target")
        fingerprint = json.dumps([eni, nlb, gwlbe, description, tags], sort_keys=True)

        def create():
            if eni:
                kind = "network-interface"
            elif nlb:
                kind = "network-load-balancer"
            else:
                kind = "gateway-load-balancer-endpoint"
            t = {
                "TrafficMirrorTargetId": new_id("tmt"),
                "NetworkInterfaceId": eni,
                "NetworkLoadBalancerArn": nlb,
                "GatewayLoadBalancerEndpointId": gwlbe,
                "Type": kind,
                "Description": description,
                "OwnerId": self.ec2_backend.account_id,
                "Tags": tags,
            }
            t = {k: v for k, v in t.items() if v is not None}
            st.targets[t["TrafficMirrorTargetId"]] = t
            return {"TrafficMirrorTarget": t, "ClientToken": self._get_param("ClientToken")}

        return ActionResult(self._tm_idempotent("CreateTrafficMirrorTarget", fingerprint, create))

    def describe_traffic_mirror_targets(self):
        st = self._tm()
        items = list(st.targets.values())
        ids = self._get_param("TrafficMirrorTargetIds")
        if ids:
            items = [i for i in items if i["TrafficMirrorTargetId"] in ids]
        items = apply_filters(
            items,
            self._get_param("Filters"),
            {
                "traffic-mirror-target-id": "TrafficMirrorTargetId",
                "network-interface-id": "NetworkInterfaceId",
                "network-load-balancer-arn": "NetworkLoadBalancerArn",
                "owner-id": "OwnerId",
                "description": "Description",
            },
        )
        return ActionResult(paginate(items, "TrafficMirrorTargets", self._tm_page_params()))

    def delete_traffic_mirror_target(self):
        self._tm_dry_run()
        ident = self._get_param("TrafficMirrorTargetId")
        self._tm_get("targets", ident, "InvalidTrafficMirrorTargetId.NotFound")
        st = self._tm()
        users = [s["TrafficMirrorSessionId"] for s in st.sessions.values() if s["TrafficMirrorTargetId"] == ident]
        if users:
            raise err("DependencyViolation", f"Traffic mirror target {ident} is in use by {', '.join(users)}.")
        del st.targets[ident]
        return ActionResult({"TrafficMirrorTargetId": ident})

    # -- filters -------------------------------------------------------

    def create_traffic_mirror_filter(self):
        self._tm_dry_run()
        st = self._tm()
        description = self._get_param("Description")
        tags = tags_for(self._get_param("TagSpecifications"), "traffic-mirror-filter")
        fingerprint = json.dumps([description, tags], sort_keys=True)

        def create():
            f = {
                "TrafficMirrorFilterId": new_id("tmf"),
                "Description": description,
                "NetworkServices": [],
                "Tags": tags,
            }
            f = {k: v for k, v in f.items() if v is not None}
            st.filters[f["TrafficMirrorFilterId"]] = f
            return {"TrafficMirrorFilter": self._tm_filter_view(f), "ClientToken": self._get_param("ClientToken")}

        return ActionResult(self._tm_idempotent("CreateTrafficMirrorFilter", fingerprint, create))

    def describe_traffic_mirror_filters(self):
        st = self._tm()
        items = list(st.filters.values())
        ids = self._get_param("TrafficMirrorFilterIds")
        if ids:
            items = [i for i in items if i["TrafficMirrorFilterId"] in ids]
        items = apply_filters(
            items,
            self._get_param("Filters"),
            {"traffic-mirror-filter-id": "TrafficMirrorFilterId", "description": "Description"},
        )
        items = [self._tm_filter_view(f) for f in items]
        return ActionResult(paginate(items, "TrafficMirrorFilters", self._tm_page_params()))

    def delete_traffic_mirror_filter(self):
        self._tm_dry_run()
        ident = self._get_param("TrafficMirrorFilterId")
        self._tm_get("filters", ident, "InvalidTrafficMirrorFilterId.NotFound")
        st = self._tm()
        users = [s["TrafficMirrorSessionId"] for s in st.sessions.values() if s["TrafficMirrorFilterId"] == ident]
        if users:
            raise err("DependencyViolation", f"Traffic mirror filter {ident} is in use by {', '.join(users)}.")
        for rid in [r for r, v in st.rules.items() if v["TrafficMirrorFilterId"] == ident]:
            del st.rules[rid]
        del st.filters[ident]
        return ActionResult({"TrafficMirrorFilterId": ident})

    def modify_traffic_mirror_filter_network_services(self):
        self._tm_dry_run()
        ident = self._get_param("TrafficMirrorFilterId")
        f = self._tm_get("filters", ident, "InvalidTrafficMirrorFilterId.NotFound")
        services = set(f.get("NetworkServices", []))
        for name, add in (("AddNetworkServices", True), ("RemoveNetworkServices", False)):
            for svc in self._get_param(name) or []:
                if svc != "amazon-dns":
                    raise err("InvalidParameterValue", f"Unknown network service {svc}.")
                if add:
                    services.add(svc)
                else:
                    services.discard(svc)
        f["NetworkServices"] = sorted(services)
        return ActionResult({"TrafficMirrorFilter": self._tm_filter_view(f)})

    # -- filter rules --------------------------------------------------

    def _tm_check_rule(self, rule, filter_id, exclude=None):
        st = self._tm()
        if rule["TrafficDirection"] not in ("ingress", "egress"):
            raise err("InvalidParameterValue", f"Invalid traffic direction {rule['TrafficDirection']}.")
        if rule["RuleAction"] not in ("accept", "reject"):
            raise err("InvalidParameterValue", f"Invalid rule action {rule['RuleAction']}.")
        for field in ("SourceCidrBlock", "DestinationCidrBlock"):
            if not rule.get(field):
                raise err("MissingParameter", f"The request must contain the parameter {field}")
        has_ports = rule.get("SourcePortRange") or rule.get("DestinationPortRange")
        if has_ports and rule.get("Protocol") not in (6, 17):
            raise err("InvalidParameterValue", "Port ranges are only supported for TCP and UDP.")
        for other in st.rules.values():
            if (
                other["TrafficMirrorFilterId"] == filter_id
                and other["TrafficMirrorFilterRuleId"] != exclude
                and other["TrafficDirection"] == rule["TrafficDirection"]
                and other["RuleNumber"] == rule["RuleNumber"]
            ):
                raise err(
                    "TrafficMirrorFilterRuleAlreadyExists",
                    f"A {rule['TrafficDirection']} rule with number {rule['RuleNumber']} already exists "
                    f"in {filter_id}.",
                )

    def create_traffic_mirror_filter_rule(self):
        self._tm_dry_run()
        filter_id = self._get_param("TrafficMirrorFilterId")
        self._tm_get("filters", filter_id, "InvalidTrafficMirrorFilterId.NotFound")
        st = self._tm()
        protocol = self._get_param("Protocol")
        rule = {
            "TrafficMirrorFilterId": filter_id,
            "TrafficDirection": self._get_param("TrafficDirection"),
            "RuleNumber": int(self._get_param("RuleNumber")),
            "RuleAction": self._get_param("RuleAction"),
            "Protocol": int(protocol) if protocol is not None else None,
            "SourceCidrBlock": self._get_param("SourceCidrBlock"),
            "DestinationCidrBlock": self._get_param("DestinationCidrBlock"),
            "SourcePortRange": port_range(self._get_param("SourcePortRange")),
            "DestinationPortRange": port_range(self._get_param("DestinationPortRange")),
            "Description": self._get_param("Description"),
            "Tags": tags_for(self._get_param("TagSpecifications"), "traffic-mirror-filter-rule"),
        }
        fingerprint = json.dumps(rule, sort_keys=True)

        def create():
            self._tm_check_rule(rule, filter_id)
            count = sum(1 for r in st.rules.values() if r["TrafficMirrorFilterId"] == filter_id)
            if count >= MAX_RULES_PER_FILTER:
                raise err(
                    "TrafficMirrorFilterRuleLimitExceeded",
                    f"The maximum number of rules ({MAX_RULES_PER_FILTER}) for {filter_id} has been reached.",
                )
            r = {k: v for k, v in rule.items() if v is not None}
            r["TrafficMirrorFilterRuleId"] = new_id("tmfr")
            st.rules[r["TrafficMirrorFilterRuleId"]] = r
            return {"TrafficMirrorFilterRule": r, "ClientToken": self._get_param("ClientToken")}

        return ActionResult(self._tm_idempotent("CreateTrafficMirrorFilterRule", fingerprint, create))

    def describe_traffic_mirror_filter_rules(self):
        st = self._tm()
        filter_id = self._get_param("TrafficMirrorFilterId")
        items = list(st.rules.values())
        if filter_id:
            items = [r for r in items if r["TrafficMirrorFilterId"] == filter_id]
        ids = self._get_param("TrafficMirrorFilterRuleIds")
        if ids:
            items = [r for r in items if r["TrafficMirrorFilterRuleId"] in ids]
        return ActionResult(paginate(items, "TrafficMirrorFilterRules", self._tm_page_params()))

    def modify_traffic_mirror_filter_rule(self):
        self._tm_dry_run()
        ident = self._get_param("TrafficMirrorFilterRuleId")
        rule = self._tm_get("rules", ident, "InvalidTrafficMirrorFilterRuleId.NotFound")
        new = dict(rule)
        for field in ("TrafficDirection", "RuleAction", "SourceCidrBlock", "DestinationCidrBlock", "Description"):
            v = self._get_param(field)
            if v is not None:
                new[field] = v
        for field in ("RuleNumber", "Protocol"):
            v = self._get_param(field)
            if v is not None:
                new[field] = int(v)
        for field in ("SourcePortRange", "DestinationPortRange"):
            v = self._get_param(field)
            if v:
                new[field] = port_range(v)
        removals = {
            "protocol": "Protocol",
            "source-port-range": "SourcePortRange",
            "destination-port-range": "DestinationPortRange",
            "description": "Description",
        }
        for name in self._get_param("RemoveFields") or []:
            if name not in removals:
                raise err("InvalidParameterValue", f"Unknown field {name}.")
            new.pop(removals[name], None)
        self._tm_check_rule(new, new["TrafficMirrorFilterId"], exclude=ident)
        rule.clear()
        rule.update(new)
        return ActionResult({"TrafficMirrorFilterRule": rule})

    def delete_traffic_mirror_filter_rule(self):
        self._tm_dry_run()
        ident = self._get_param("TrafficMirrorFilterRuleId")
        self._tm_get("rules", ident, "InvalidTrafficMirrorFilterRuleId.NotFound")
        del self._tm().rules[ident]
        return ActionResult({"TrafficMirrorFilterRuleId": ident})

    # -- sessions ------------------------------------------------------

    def _tm_random_vni(self):
        used = {s.get("VirtualNetworkId") for s in self._tm().sessions.values()}
        while True:
            v = random.randint(1, MAX_VNI)
            if v not in used:
                return v

    def _tm_check_session(self, s, exclude=None):
        st = self._tm()
        target = self._tm_get("targets", s["TrafficMirrorTargetId"], "InvalidTrafficMirrorTargetId.NotFound")
        self._tm_get("filters", s["TrafficMirrorFilterId"], "InvalidTrafficMirrorFilterId.NotFound")
        eni = s["NetworkInterfaceId"]
        for t in st.targets.values():
            if t.get("NetworkInterfaceId") == eni:
                raise err(
                    "InvalidParameterValue",
                    f"The network interface {eni} is the traffic mirror target {t['TrafficMirrorTargetId']} "
                    "and cannot be a source.",
                )
        n = s["SessionNumber"]
        if not 1 <= n <= MAX_SESSION_NUMBER:
            raise err("InvalidParameterValue", f"Session number {n} is not between 1 and {MAX_SESSION_NUMBER}.")
        others = [x for x in st.sessions.values() if x["NetworkInterfaceId"] == eni and x["TrafficMirrorSessionId"] != exclude]
        if exclude is None and len(others) >= MAX_SESSIONS_PER_ENI:
            raise err(
                "TrafficMirrorSessionsPerInterfaceLimitExceeded",
                f"The network interface {eni} already has {MAX_SESSIONS_PER_ENI} traffic mirror sessions.",
            )
        if any(x["SessionNumber"] == n for x in others):
            raise err("InvalidParameterValue", f"Session number {n} is already in use on {eni}.")
        length = s.get("PacketLength")
        if length is not None:
            limit = MAX_PACKET_LENGTH_LB if target["Type"] != "network-interface" else 65535
            if not 1 <= length <= limit:
                raise err("InvalidParameterValue", f"Packet length {length} is not between 1 and {limit}.")
        vni = s.get("VirtualNetworkId")
        if vni is not None and not 0 <= vni <= MAX_VNI:
            raise err("InvalidParameterValue", f"Virtual network id {vni} is not between 0 and {MAX_VNI}.")

    def create_traffic_mirror_session(self):
        self._tm_dry_run()
        st = self._tm()
        eni = self._get_param("NetworkInterfaceId")
        self._tm_eni(eni)

        def opt_int(name):
            v = self._get_param(name)
            return int(v) if v is not None else None

        s = {
            "NetworkInterfaceId": eni,
            "TrafficMirrorTargetId": self._get_param("TrafficMirrorTargetId"),
            "TrafficMirrorFilterId": self._get_param("TrafficMirrorFilterId"),
            "SessionNumber": opt_int("SessionNumber"),
            "PacketLength": opt_int("PacketLength"),
            "VirtualNetworkId": opt_int("VirtualNetworkId"),
            "Description": self._get_param("Description"),
            "Tags": tags_for(self._get_param("TagSpecifications"), "traffic-mirror-session"),
        }
        if s["SessionNumber"] is None:
            raise err("MissingParameter", "The request must contain the parameter SessionNumber")
        fingerprint = json.dumps(s, sort_keys=True)

        def create():
            self._tm_check_session(s)
            x = dict(s)
            if x["VirtualNetworkId"] is None:
                x["VirtualNetworkId"] = self._tm_random_vni()
            x["TrafficMirrorSessionId"] = new_id("tms")
            x["OwnerId"] = self.ec2_backend.account_id
            x = {k: v for k, v in x.items() if v is not None}
            st.sessions[x["TrafficMirrorSessionId"]] = x
            return {"TrafficMirrorSession": x, "ClientToken": self._get_param("ClientToken")}

        return ActionResult(self._tm_idempotent("CreateTrafficMirrorSession", fingerprint, create))

    def describe_traffic_mirror_sessions(self):
        st = self._tm()
        items = list(st.sessions.values())
        ids = self._get_param("TrafficMirrorSessionIds")
        if ids:
            items = [i for i in items if i["TrafficMirrorSessionId"] in ids]
        items = apply_filters(
            items,
            self._get_param("Filters"),
            {
                "traffic-mirror-session-id": "TrafficMirrorSessionId",
                "traffic-mirror-target-id": "TrafficMirrorTargetId",
                "traffic-mirror-filter-id": "TrafficMirrorFilterId",
                "network-interface-id": "NetworkInterfaceId",
                "session-number": "SessionNumber",
                "virtual-network-id": "VirtualNetworkId",
                "packet-length": "PacketLength",
                "owner-id": "OwnerId",
                "description": "Description",
            },
        )
        return ActionResult(paginate(items, "TrafficMirrorSessions", self._tm_page_params()))

    def modify_traffic_mirror_session(self):
        self._tm_dry_run()
        ident = self._get_param("TrafficMirrorSessionId")
        s = self._tm_get("sessions", ident, "InvalidTrafficMirrorSessionId.NotFound")
        new = dict(s)
        for field in ("TrafficMirrorTargetId", "TrafficMirrorFilterId", "Description"):
            v = self._get_param(field)
            if v is not None:
                new[field] = v
        for field in ("PacketLength", "SessionNumber", "VirtualNetworkId"):
            v = self._get_param(field)
            if v is not None:
                new[field] = int(v)
        for name in self._get_param("RemoveFields") or []:
            if name == "packet-length":
                new.pop("PacketLength", None)
            elif name == "description":
                new.pop("Description", None)
            elif name == "virtual-network-id":
                new["VirtualNetworkId"] = self._tm_random_vni()
            else:
                raise err("InvalidParameterValue", f"Unknown field {name}.")
        self._tm_check_session(new, exclude=ident)
        s.clear()
        s.update(new)
        return ActionResult({"TrafficMirrorSession": s})

    def delete_traffic_mirror_session(self):
        self._tm_dry_run()
        ident = self._get_param("TrafficMirrorSessionId")
        self._tm_get("sessions", ident, "InvalidTrafficMirrorSessionId.NotFound")
        del self._tm().sessions[ident]
        return ActionResult({"TrafficMirrorSessionId": ident})

    def _tm_page_params(self):
        return {"MaxResults": self._get_param("MaxResults"), "NextToken": self._get_param("NextToken")}


OPERATIONS = [
    name
    for name in vars(TrafficMirrorOps)
    if not name.startswith("_") and callable(getattr(TrafficMirrorOps, name))
]


def register():
    """Installs the operations on moto's EC2Response (idempotent)."""
    from moto.ec2.responses import EC2Response

    for name, value in vars(TrafficMirrorOps).items():
        if callable(value) and not name.startswith("__"):
            setattr(EC2Response, name, value)
    return OPERATIONS
