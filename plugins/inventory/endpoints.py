# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
name: endpoints
short_description: emnify endpoints (devices) as inventory hosts
version_added: 0.1.0
description:
  - Lists the endpoints of an emnify organisation, one request per 1,000 endpoints, paced under emnify's rate limits
    like the modules of the collection, and adds each endpoint as a host with its identifiers, status, tags and SMS
    readiness as host variables.
  - "Configured by a YAML file whose name ends in C(emnify.yml) or C(emnify.yaml) and that holds
    C(plugin: emnify.iot.endpoints)."
  - The connection options are those of the modules, read from the same environment variables when the file does not
    set them, so the emnify credential type of AWX/AAP (C(docs/awx/credential-type.yml)) serves an inventory source too.
    Keep the application token out of the file.
  - A host is named by its endpoint's name, without surrounding spaces. An endpoint without a name is
    C(endpoint-<id>); endpoints that share a name are each C(<name>-<id>) (a fallback that is another endpoint's
    name gets C(-<id>) appended again). Use O(compose) to set other variables such as C(ansible_host).
  - "Host variables (None where the endpoint has no value): C(emnify_endpoint_id), C(emnify_name), C(emnify_status)
    (V(enabled), V(disabled) or V(deleted)), C(emnify_tags) (a list of tag names), C(emnify_iccid),
    C(emnify_iccid_with_luhn), C(emnify_imsi), C(emnify_msisdn), C(emnify_sim_id) (the SIM's numbers come from the
    endpoint's C(sim) object; an endpoint without a SIM has none), C(emnify_sim_status) (V(issued), V(activated),
    V(suspended), V(deleted) or V(factory_test)), C(emnify_sms_ready) and C(emnify_sms_not_ready_reasons) (as
    M(emnify.iot.emnify_endpoint_info) decides them: endpoint enabled and SIM activated), C(emnify_service_profile) and
    C(emnify_tariff_profile) (each C({id, name})), C(emnify_ip_address), C(emnify_imei), C(emnify_created) and
    C(emnify_last_updated) (ISO 8601 UTC)."
  - Every host is in the group C(emnify_endpoints). The variables come from the API and are never templated.
  - C(docs/inventory.md) describes an inventory source in AWX/AAP and the requests a run costs.
  - With O(cache), the host variables of the whole list are cached (never a token); a cached run makes no request.
    The cache key holds the file's path, O(api_url) and the part of the filters sent to the API; the filters are applied
    again on every run.
author:
  - emnify.iot maintainers (@emnify)
options:
  plugin:
    description: The name of this plugin; a file naming another plugin is not read by this one.
    type: str
    required: true
    choices:
      - emnify.iot.endpoints
  application_token:
    required: false
  status:
    description:
      - Only endpoints with one of these statuses.
      - With a single status the API filters the list, which saves requests in a large organisation.
    type: list
    elements: str
    choices: [enabled, disabled, deleted]
    default: []
  sim_status:
    description: Only endpoints whose SIM has one of these statuses (an endpoint without a SIM has none).
    type: list
    elements: str
    choices: [issued, activated, suspended, deleted, factory_test]
    default: []
  tags:
    description:
      - Only endpoints that carry every one of these tags.
      - With tags, the API filters the list by the first tag.
    type: list
    elements: str
    default: []
  name_pattern:
    description:
      - Only endpoints whose whole name matches this shell-style pattern (C(*), C(?), C([...])), case-sensitive,
        for example V(tracker-*).
    type: str
  sms_ready:
    description: V(true) keeps only endpoints that can receive SMS now, V(false) only those that cannot; unset keeps both.
    type: bool
extends_documentation_fragment:
  - emnify.iot.connection
  - constructed
  - inventory_cache
notes:
  - A configuration error (an unknown option, no application token, an URL that cannot be reached, a refused token)
    fails the source with a message that names the option; run C(ansible-inventory) with
    E(ANSIBLE_INVENTORY_UNPARSED_FAILED=true) to make it fail the command too.
'''

EXAMPLES = r'''
# trackers.emnify.yml: the token and the URL come from EMNIFY_APPLICATION_TOKEN and EMNIFY_API_URL
# (the emnify credential type of AWX/AAP sets them). `ansible-inventory -i trackers.emnify.yml --graph` shows it.
plugin: emnify.iot.endpoints
status: [enabled]
tags: [tracker]
# sms_ready: true                  # only the endpoints that can receive SMS now
# name_pattern: "tracker-berlin-*"
keyed_groups:
  # tag_tracker, tag_berlin, ... and status_enabled, status_disabled
  - key: emnify_tags
    prefix: tag
  - key: emnify_status
    prefix: status
groups:
  sms_ready: emnify_sms_ready
compose:
  # The devices are reached through the emnify API from the controller, never over SSH.
  ansible_connection: "'local'"
# A cached list: runs within the hour make no request.
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/emnify.iot/inventory
cache_timeout: 3600
'''

import difflib
import hashlib

from ansible.errors import AnsibleParserError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible import template as _template

from ansible_collections.emnify.iot.plugins.module_utils._client import HAS_REQUESTS
from ansible_collections.emnify.iot.plugins.module_utils._errors import EmnifyError, redact
from ansible_collections.emnify.iot.plugins.module_utils._lookup import EndpointFinder
from ansible_collections.emnify.iot.plugins.module_utils._module import (
    build_client,
    connection_argument_spec,
    connection_problems,
    plain_http_warning,
)
from ansible_collections.emnify.iot.plugins.plugin_utils._endpoint_inventory import host_names, host_vars, matches

if hasattr(_template, 'trust_as_template'):
    # ansible-core 2.19 and later template no text that a plugin sets unless it is marked as trusted.
    def _not_templated(value):
        return value
else:
    # Before 2.19, text is templated unless it is marked unsafe; device names and tags must never be.
    from ansible.utils.unsafe_proxy import wrap_var as _not_templated

GROUP = 'emnify_endpoints'
FILE_SUFFIXES = ('emnify.yml', 'emnify.yaml')


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):

    NAME = 'emnify.iot.endpoints'

    def verify_file(self, path):
        return super(InventoryModule, self).verify_file(path) and path.endswith(FILE_SUFFIXES)

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache)
        config = self._read_config_data(path)
        self._refuse_unknown_options(config, path)
        params = self._connection_params(config, path)
        filters = self._filters()
        query_status = filters['statuses'][0] if len(filters['statuses']) == 1 else None
        query_tags = filters['tags'][:1]

        cache_key = '%s_%s' % (self.get_cache_key(path), hashlib.sha256(
            ('%s|%s|%s' % (params['api_url'].rstrip('/'), query_status, ','.join(query_tags))).encode('utf-8')).hexdigest()[:16])
        use_cache = self.get_option('cache')
        records = None
        if use_cache and cache:
            try:
                records = self._cache[cache_key]
            except KeyError:
                records = None
        if records is None:
            records = self._fetch(params, path, query_status, query_tags)
            if use_cache:
                self._cache[cache_key] = records
        self._populate([record for record in records if matches(record, **filters)])

    def _refuse_unknown_options(self, config, path):
        known = sorted(self._options)
        unknown = sorted(str(key) for key in config if key not in self._options)
        if not unknown:
            return
        hints = []
        for key in unknown:
            close = difflib.get_close_matches(key, known, n=1)
            hints.append('%r%s' % (key, ' (did you mean %r?)' % close[0] if close else ''))
        raise AnsibleParserError('%s (%s): unknown option%s %s; the options are: %s' % (
            self.NAME, path, 's' if len(unknown) > 1 else '', ', '.join(hints), ', '.join(known)))

    def _connection_params(self, config, path):
        """The connection options as the modules take them: the file's values, else the environment, else the default."""
        spec = connection_argument_spec()
        # A missing token is reported by check_connection_params, which names the variable too.
        spec['application_token']['required'] = False
        given = dict((name, self.get_option(name)) for name in spec if name in config)
        result = ArgumentSpecValidator(spec).validate(given)
        token = result.validated_parameters.get('application_token') or ''
        secrets = (token,) if token else ()
        problems = [redact(message, secrets) for message in result.error_messages]
        if not HAS_REQUESTS:
            problems.append('the Python library requests is required on the controller')
        if not problems:
            problems, self._scale = connection_problems(result.validated_parameters)
        if problems:
            raise AnsibleParserError('%s (%s): %s' % (self.NAME, path, '; '.join(problems)))
        params = result.validated_parameters
        warning = plain_http_warning(params['api_url'])
        if warning:
            self.display.warning(warning)
        return params

    def _filters(self):
        return dict(statuses=list(self.get_option('status') or ()), sim_statuses=list(self.get_option('sim_status') or ()),
                    tags=list(self.get_option('tags') or ()), name_pattern=self.get_option('name_pattern'),
                    sms_ready=self.get_option('sms_ready'))

    def _fetch(self, params, path, status, tags):
        """The host variables of every endpoint the API lists for the query, sorted by endpoint id."""
        client = build_client(params, scale=self._scale)
        failure = None
        try:
            endpoints, _lookups = EndpointFinder(client).find(tags=tags, status=status)
        except EmnifyError as exc:
            failure = redact(str(exc), client.secrets)
        if failure is not None:
            raise AnsibleParserError('%s (%s): cannot list the endpoints (api_url %s): %s'
                                     % (self.NAME, path, params['api_url'], failure))
        records = [host_vars(endpoint) for endpoint in endpoints]
        stats = client.stats
        self.display.vvv('%s: %d endpoints in %d requests (%d authentications, %d retries, %d answered 429)' % (
            self.NAME, len(records), stats['requests'], stats['authentications'], stats['retries'], stats['status_429']))
        return sorted(records, key=lambda record: record['emnify_endpoint_id'])

    def _populate(self, records):
        strict = self.get_option('strict')
        self.inventory.add_group(GROUP)
        for name, record in zip(host_names(records), records):
            host = self.inventory.add_host(name, group=GROUP)
            for key, value in record.items():
                self.inventory.set_variable(host, key, _not_templated(value))
            hostvars = self.inventory.get_host(host).get_vars()
            self._set_composite_vars(self.get_option('compose'), hostvars, host, strict=strict)
            hostvars = self.inventory.get_host(host).get_vars()
            self._add_host_to_composed_groups(self.get_option('groups'), hostvars, host, strict=strict)
            self._add_host_to_keyed_groups(self.get_option('keyed_groups'), hostvars, host, strict=strict)
