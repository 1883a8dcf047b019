# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

from importlib import metadata
import io

from nova.conf import zvm as nova_zvm_conf
from nova import test
from oslo_config import cfg
from oslo_config import generator

from nova_zvm import conf

NOVA_OPTS = ('cloud_connector_url', 'ca_file', 'image_tmp_path',
             'reachable_timeout')


class OptionsTestCase(test.NoDBTestCase):

    def test_list_opts_is_nova_four_then_ours(self):
        [(group, opts)] = conf.list_opts()
        self.assertEqual('zvm', group.name)
        names = [o.name for o in opts]
        self.assertEqual(list(NOVA_OPTS), names[:4])
        for name in ('connector_token_file', 'connect_timeout',
                     'read_timeout', 'long_read_timeout', 'retry_attempts',
                     'retry_interval', 'retry_max_interval', 'disk_pool',
                     'user_profile'):
            self.assertIn(name, names)
        self.assertEqual(len(names), len(set(names)))

    def test_nova_options_are_reused_not_redefined(self):
        [(group, opts)] = conf.list_opts()
        for ours, novas in zip(opts[:4], nova_zvm_conf.zvm_opts):
            self.assertIs(novas, ours)
        self.assertEqual(set(), {o.name for o in conf.ALL_NEW_OPTS} &
                         set(NOVA_OPTS))

    def test_every_new_option_has_help(self):
        for opt in conf.ALL_NEW_OPTS:
            self.assertGreater(len(opt.help.strip()), 40, opt.name)

    def test_registering_twice_is_harmless(self):
        conf.register_opts(conf.CONF)
        self.assertEqual(10.0, conf.CONF.zvm.connect_timeout)

    def test_registers_on_a_fresh_conf_with_novas(self):
        fresh = cfg.ConfigOpts()
        nova_zvm_conf.register_opts(fresh)
        conf.register_opts(fresh)
        fresh([])
        self.assertIsNone(fresh.zvm.disk_pool)
        self.assertEqual(3, fresh.zvm.retry_attempts)

    def test_deploy_concurrency_is_the_connectors_own_default(self):
        from zvmsdk import config as zvmsdk_config
        [connector_opt] = [o for o in zvmsdk_config.zvm_opts
                           if o.name == 'max_concurrent_deploy_capture']
        self.assertEqual(connector_opt.default,
                         conf.CONF.zvm.max_concurrent_deploy_capture)
        self.assertEqual(20, conf.CONF.zvm.max_concurrent_deploy_capture)

    def test_disk_pool_format_is_checked(self):
        self.flags(disk_pool='ECKD:POOL1', group='zvm')
        self.assertRaises(ValueError, self.flags, disk_pool='POOL1',
                          group='zvm')
        self.assertRaises(ValueError, self.flags, disk_pool='SCSI:P',
                          group='zvm')

    def test_entry_point_is_declared(self):
        eps = metadata.entry_points(group='oslo.config.opts')
        ep = [e for e in eps if e.name == 'nova_zvm']
        self.assertEqual(1, len(ep))
        self.assertEqual('nova_zvm.conf:list_opts', ep[0].value)

    def test_generator_prints_the_whole_section(self):
        gen_conf = cfg.ConfigOpts()
        generator.register_cli_opts(gen_conf)
        gen_conf(['--namespace', 'nova_zvm'])
        out = io.StringIO()
        generator.generate(gen_conf, output_file=out)
        text = out.getvalue()
        self.assertIn('[zvm]', text)
        for name in NOVA_OPTS + ('connector_token_file', 'disk_pool',
                                 'retry_attempts'):
            self.assertIn('#%s = ' % name, text)
        self.assertIn('zvm_ext.ZVMDriver', text)
