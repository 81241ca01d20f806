#!/usr/bin/python
# -*- coding: utf-8 -*-
# portvakt_policy: a clinic's site policy on its appliance, over the HTTPS API.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: portvakt_policy
short_description: Push a site policy to a portvakt appliance, plan it, or roll it back
version_added: "1.0.0"
description:
  - Sends the site file with every file it needs (its C(extends) bases, C(inventory) CSVs and C(fingerprints)
    data) as one policy bundle to the appliance's management API, as C(portvakt policy push) does. The appliance
    compiles the bundle itself and never opens a path the client names.
  - The appliance first plans the bundle (C(POST /api/v1/policy/plan)). When the compiled policy's two hashes
    (C(hash), of the tables the dataplane runs, and C(settings_hash), of the control settings - sinks, alert
    routes, maintenance, management roles, retention, tests) are those of the running policy, nothing is pushed
    and the task reports no change. Otherwise it pushes with the
    plan's id (C(POST /api/v1/policy/push)), so that a policy changed by someone else in between is refused
    rather than overwritten.
  - In check mode only the plan is made; it is returned as C(plan), with the semantic changes and the live
    devices whose class or zone the new policy would change.
  - With C(--diff) the plan is shown as the semantic diff (one line per changed zone, class, flow, port, ...)
    followed by the device moves.
  - A site that does not compile fails the task with the compiler's C(file:line:col) diagnostics; the running
    policy stays as it was.
  - C(state=rolled_back) installs an earlier version again (C(POST /api/v1/policy/rollback)), as a new version.
  - Needs the C(engineer) role; a C(servicedesk) or C(monitor) certificate is refused by the appliance (HTTP 403).
author:
  - portvakt developers
extends_documentation_fragment:
  - portvakt.appliance.connection
options:
  site:
    description:
      - The clinic's site policy file on the controller. Relative names inside it (C(extends), C(inventory.csv),
        C(fingerprints)) are taken from the directory of the file that names them.
      - Required with C(state=present).
    type: path
  state:
    description:
      - C(present) runs the site policy. C(rolled_back) installs C(version) again.
    type: str
    choices: [present, rolled_back]
    default: present
  version:
    description:
      - With C(state=rolled_back), the version to install again (from the policy history); by default the
        version before the running one.
      - When that version's hashes (tables and settings) are already running, nothing changes.
    type: int
requirements:
  - PyYAML on the controller (to follow the site file's C(extends), C(inventory) and C(fingerprints)).
"""

EXAMPLES = r"""
- name: The clinic runs its site file on the region's base
  portvakt.appliance.portvakt_policy:
    server: "https://{{ portvakt_address }}:8443"
    client_cert: /etc/portvakt-fleet/eva.crt
    client_key: /etc/portvakt-fleet/eva.key
    ca_path: /etc/portvakt-fleet/region-ca.crt
    site: "policy/clinics/{{ inventory_hostname }}.yaml"
  delegate_to: localhost
  register: pushed

- name: What would change (check mode is the appliance's plan)
  portvakt.appliance.portvakt_policy:
    server: "https://{{ portvakt_address }}:8443"
    client_cert: /etc/portvakt-fleet/eva.crt
    client_key: /etc/portvakt-fleet/eva.key
    ca_path: /etc/portvakt-fleet/region-ca.crt
    site: "policy/clinics/{{ inventory_hostname }}.yaml"
  check_mode: true
  register: planned

- name: Back to the version that ran before the push
  portvakt.appliance.portvakt_policy:
    server: "https://{{ portvakt_address }}:8443"
    client_cert: /etc/portvakt-fleet/eva.crt
    client_key: /etc/portvakt-fleet/eva.key
    ca_path: /etc/portvakt-fleet/region-ca.crt
    state: rolled_back
    version: "{{ pushed.previous.version }}"
"""

RETURN = r"""
hash:
  description: The hash of the tables the dataplane runs after the task (or would, in check mode).
    The control settings have their own C(settings_hash) in C(version) and C(previous).
  returned: success
  type: str
  sample: "sha256:4c1d..."
settings_hash:
  description: The hash of the control settings that run after the task (or would, in check mode).
  returned: with C(state=present)
  type: str
  sample: "sha256:77b0..."
previous:
  description: The policy that ran before the task.
  returned: success
  type: dict
  contains:
    version:
      description: Its version in the appliance's history (0 when none ran).
      type: int
    hash:
      description: The hash of its tables (what the dataplane ran).
      type: str
    settings_hash:
      description: The hash of its control settings.
      type: str
    name:
      description: Its name.
      type: str
version:
  description: The version installed by the task (the appliance's C(version) object), or the running one when nothing changed.
  returned: success
  type: dict
  sample: {"version": 4, "hash": "sha256:4c1d...", "name": "mora", "summary": "+2 ~1 -0 items"}
plan:
  description: The appliance's plan of the bundle against the running policy.
  returned: with C(state=present), when the site compiles
  type: dict
  contains:
    plan_id:
      description: The plan's id; a push refuses when the plan has changed since.
      type: str
    summary:
      description: Counts of added, changed and removed items.
      type: str
      sample: "+2 ~1 -0 items"
    changes:
      description: The semantic changes, each C({kind, section, key}) with kind added, changed or removed.
      type: list
      elements: dict
    moves:
      description: The live devices whose class or zone would change, each C({mac, port, from_class, from_zone, to_class, to_zone}).
      type: list
      elements: dict
    text:
      description: The plan as the C(portvakt policy plan) command prints it, one line per change and per device move.
      type: str
diagnostics:
  description: "The compiler's diagnostics (C(file:line:col: error[code]: message)); warnings when it compiled, errors when not."
  returned: when there are any
  type: str
bundle_files:
  description: The files sent in the bundle, site file first.
  returned: with C(state=present)
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.portvakt.appliance.plugins.module_utils.portvakt_api import (
    PortvaktClient,
    PortvaktError,
    build_bundle,
    connection_argument_spec,
    format_plan,
)


def running(client):
    policy = client.get("/status").get("policy") or {}
    return {"version": policy.get("version", 0), "hash": policy.get("hash", ""),
            "settings_hash": policy.get("settings_hash", ""), "name": policy.get("name", "")}


def present(module, client, result):
    site = module.params["site"]
    try:
        bundle = build_bundle(site)
    except PortvaktError as e:
        module.fail_json(msg="cannot read the policy bundle of %s: %s" % (site, e), **result)
    result["bundle_files"] = [f["path"] for f in bundle["files"]]
    before = running(client)
    result["previous"] = before
    try:
        plan = client.post("/policy/plan", {"bundle": bundle})
    except PortvaktError as e:
        diagnostics = e.answer.get("diagnostics", "")
        if diagnostics:
            result["diagnostics"] = diagnostics
            module.fail_json(msg="%s does not compile on %s; the running policy (version %s, %s) is unchanged:\n%s"
                             % (site, client.server, before["version"], before["hash"], diagnostics), **result)
        raise
    if plan.get("diagnostics"):
        result["diagnostics"] = plan["diagnostics"]
    text = format_plan(plan)
    result["plan"] = {"plan_id": plan.get("plan_id", ""), "summary": plan.get("summary", ""),
                      "changes": plan.get("changes", []), "moves": plan.get("moves", []), "text": text}
    result["hash"] = plan.get("hash", "")
    result["settings_hash"] = plan.get("settings_hash", "")
    # hash: the tables the dataplane runs; settings_hash: sinks, alert routes,
    # maintenance, roles, retention, tests. A change of either is a push.
    result["changed"] = (plan.get("hash") != before["hash"]
                         or plan.get("settings_hash", "") != before["settings_hash"])
    if module._diff and result["changed"]:
        result["diff"] = {"before_header": "%s (version %s, %s)" % (before["name"], before["version"], before["hash"]),
                          "after_header": "%s on %s (%s)" % (site, client.server, plan.get("hash", "")),
                          "prepared": text or "(the compiled policies differ only in their hash)\n"}
    if not result["changed"]:
        result["version"] = before
        return
    if module.check_mode:
        return
    answer = client.post("/policy/push", {"bundle": bundle, "plan_id": plan["plan_id"]})
    result["version"] = answer.get("version", {})
    result["hash"] = result["version"].get("hash", result["hash"])
    result["settings_hash"] = result["version"].get("settings_hash", result["settings_hash"])


def rolled_back(module, client, result):
    before = running(client)
    result["previous"] = before
    version = module.params["version"]
    history = client.get("/policy/history").get("history", [])
    if version is None:
        if len(history) < 2:
            module.fail_json(msg="%s has no earlier version to roll back to" % client.server, **result)
        target = history[-2]
    else:
        matching = [v for v in history if v.get("version") == version]
        if not matching:
            module.fail_json(msg="%s has no policy version %d in its history" % (client.server, version), **result)
        target = matching[0]
    result["hash"] = target.get("hash", "")
    if target.get("hash") == before["hash"] and target.get("settings_hash", "") == before["settings_hash"]:
        result["changed"] = False
        result["version"] = before
        return
    result["changed"] = True
    if module._diff:
        result["diff"] = {"before": "version %s %s\n" % (before["version"], before["hash"]),
                          "after": "version %s %s (rolled back to)\n" % (target.get("version"), target.get("hash"))}
    if module.check_mode:
        return
    answer = client.post("/policy/rollback", {"version": target["version"]})
    result["version"] = answer.get("version", {})


def main():
    argument_spec = connection_argument_spec()
    argument_spec.update(
        site=dict(type="path"),
        state=dict(type="str", choices=["present", "rolled_back"], default="present"),
        version=dict(type="int"),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True,
                           required_if=[("state", "present", ("site",))])
    result = dict(changed=False)
    p = module.params
    try:
        client = PortvaktClient(p["server"], p["client_cert"], p["client_key"], p["ca_path"],
                                p["validate_hostname"], p["timeout"])
        try:
            if p["state"] == "present":
                present(module, client, result)
            else:
                rolled_back(module, client, result)
        finally:
            client.close()
    except PortvaktError as e:
        module.fail_json(msg=str(e), status=e.status, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
