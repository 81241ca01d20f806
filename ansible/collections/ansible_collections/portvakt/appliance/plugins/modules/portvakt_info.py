#!/usr/bin/python
# -*- coding: utf-8 -*-
# portvakt_info: what an appliance reports, as facts.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: portvakt_info
short_description: Read a portvakt appliance's status, devices, alerts, ports and policy history as facts
version_added: "1.0.0"
description:
  - Reads the appliance's management API over HTTPS with mutual TLS and returns what it reports under
    C(ansible_facts.portvakt), one key per part asked for in C(gather).
  - The C(monitor) role may read only C(status); C(servicedesk) and C(engineer) may read all of them.
    A part the certificate's role may not read fails the task with the appliance's reason.
  - Changes nothing, so it runs in check mode as it does otherwise.
author:
  - portvakt developers
extends_documentation_fragment:
  - portvakt.appliance.connection
options:
  gather:
    description:
      - The parts to read.
    type: list
    elements: str
    choices: [status, devices, alerts, ports, history]
    default: [status, devices, alerts]
  alerts_limit:
    description:
      - How many of the newest alerts to read (1 to 10000).
    type: int
    default: 50
  unacked:
    description:
      - Read only the alerts nobody has acknowledged.
    type: bool
    default: false
  alerts_baseline:
    description:
      - The C(alerts) of an earlier run of this module (C(ansible_facts.portvakt.alerts)). The alerts read now
        that are not in it, or whose C(count) grew since (a repeat folds into its alert), are returned in
        C(ansible_facts.portvakt.new_alerts), counted by severity. Alerts are told apart by their id, so the
        controller's clock and the appliance's need not agree.
      - Read as many alerts (C(alerts_limit)) for the baseline as now, or old alerts beyond the limit of one
        read but not the other look new.
    type: list
    elements: dict
"""

EXAMPLES = r"""
- name: What the clinic's appliance reports
  portvakt.appliance.portvakt_info:
    server: "https://{{ portvakt_address }}:8443"
    client_cert: /etc/portvakt-fleet/servicedesk.crt
    client_key: /etc/portvakt-fleet/servicedesk.key
    ca_path: /etc/portvakt-fleet/region-ca.crt
  delegate_to: localhost

- name: Devices in quarantine
  ansible.builtin.debug:
    msg: "{{ ansible_facts.portvakt.devices | selectattr('zone', 'equalto', 'quarantine') | map(attribute='mac') | list }}"

- name: Critical alerts raised since the alerts were read before a push
  portvakt.appliance.portvakt_info:
    server: "https://{{ portvakt_address }}:8443"
    client_cert: /etc/portvakt-fleet/eva.crt
    client_key: /etc/portvakt-fleet/eva.key
    ca_path: /etc/portvakt-fleet/region-ca.crt
    gather: [status, alerts]
    alerts_limit: 1000
    alerts_baseline: "{{ before_push.ansible_facts.portvakt.alerts }}"
  register: health
  failed_when: health.ansible_facts.portvakt.new_alerts.critical > 0
"""

RETURN = r"""
ansible_facts:
  description: What the appliance reported.
  returned: always
  type: dict
  contains:
    portvakt:
      description: One key per part read.
      type: dict
      contains:
        status:
          description: C(GET /api/v1/status) - the running policy (name, version, hash, mode), uptime, ports with
            link state and counters, and what the dataplane runs (C(dataplane.policy_hash), C(dataplane.error)).
          type: dict
          returned: when C(status) is in C(gather)
        devices:
          description: C(GET /api/v1/devices) - devices with MAC, port, class, zone and evidence.
          type: list
          elements: dict
          returned: when C(devices) is in C(gather)
        alerts:
          description: C(GET /api/v1/alerts) - the newest alerts first, with severity, event, port, device,
            C(time_ms) and their delivery state.
          type: list
          elements: dict
          returned: when C(alerts) is in C(gather)
        ports:
          description: C(GET /api/v1/ports) - the policy's ports with the kernel's counters and link state.
          type: list
          elements: dict
          returned: when C(ports) is in C(gather)
        history:
          description: C(GET /api/v1/policy/history) - every policy version, who installed it and when.
          type: list
          elements: dict
          returned: when C(history) is in C(gather)
        new_alerts:
          description: The alerts read that are new against C(alerts_baseline) (none without it), counted by
            severity, with the alerts themselves under C(list).
          type: dict
          returned: when C(alerts) is in C(gather)
          sample: {"critical": 1, "warning": 0, "info": 2, "list": []}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.portvakt.appliance.plugins.module_utils.portvakt_api import (
    PortvaktClient,
    PortvaktError,
    connection_argument_spec,
)


def main():
    argument_spec = connection_argument_spec()
    argument_spec.update(
        gather=dict(type="list", elements="str", choices=["status", "devices", "alerts", "ports", "history"],
                    default=["status", "devices", "alerts"]),
        alerts_limit=dict(type="int", default=50),
        unacked=dict(type="bool", default=False),
        alerts_baseline=dict(type="list", elements="dict"),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    p = module.params
    if not 1 <= p["alerts_limit"] <= 10000:
        module.fail_json(msg="alerts_limit must be from 1 to 10000, not %d" % p["alerts_limit"])
    facts = {}
    try:
        client = PortvaktClient(p["server"], p["client_cert"], p["client_key"], p["ca_path"],
                                p["validate_hostname"], p["timeout"])
        try:
            if "status" in p["gather"]:
                facts["status"] = {k: v for k, v in client.get("/status").items() if k != "ok"}
            if "devices" in p["gather"]:
                facts["devices"] = client.get("/devices").get("devices", [])
            if "alerts" in p["gather"]:
                query = "?limit=%d" % p["alerts_limit"] + ("&unacked=true" if p["unacked"] else "")
                alerts = client.get("/alerts" + query).get("alerts", [])
                facts["alerts"] = alerts
                baseline = {}
                for a in p["alerts_baseline"] or []:
                    baseline[a.get("id")] = a.get("count", 1)
                new = [a for a in alerts if p["alerts_baseline"] is not None
                       and (a.get("id") not in baseline or a.get("count", 1) > baseline[a.get("id")])]
                counts = {"critical": 0, "warning": 0, "info": 0, "list": new}
                for a in new:
                    counts[a.get("severity", "info")] = counts.get(a.get("severity", "info"), 0) + 1
                facts["new_alerts"] = counts
            if "ports" in p["gather"]:
                facts["ports"] = client.get("/ports").get("ports", [])
            if "history" in p["gather"]:
                facts["history"] = client.get("/policy/history").get("history", [])
        finally:
            client.close()
    except PortvaktError as e:
        module.fail_json(msg=str(e), status=e.status, ansible_facts={"portvakt": facts})
    module.exit_json(changed=False, ansible_facts={"portvakt": facts})


if __name__ == "__main__":
    main()
