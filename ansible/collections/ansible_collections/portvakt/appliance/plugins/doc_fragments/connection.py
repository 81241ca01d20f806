# -*- coding: utf-8 -*-
# The connection options every portvakt module shares.
from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  server:
    description:
      - The appliance's management API, C(https://HOST:PORT) (portvaktd C(--https)).
    type: str
    required: true
  client_cert:
    description:
      - The caller's client certificate (PEM), signed by the region's management CA.
      - Its CN or OU must have a role in the running policy's C(management.roles).
    type: path
    required: true
  client_key:
    description:
      - The private key of C(client_cert) (PEM, unencrypted).
    type: path
    required: true
  ca_path:
    description:
      - The CA certificate (PEM) that signed the appliance's server certificate.
    type: path
    required: true
  validate_hostname:
    description:
      - Whether the server certificate must name the host of C(server) (DNS or IP subject alternative name).
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for the TLS connection and for each answer.
    type: int
    default: 30
notes:
  - "The module runs on the controller (C(connection: local) or C(delegate_to: localhost)) and talks HTTPS
    to the appliance; TLS 1.2 or newer, mutual TLS."
  - An appliance refuses a certificate that its CRL revokes, or that another CA signed, in the TLS handshake;
    the module then fails with the TLS error.
"""
