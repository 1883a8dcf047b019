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

"""Option parsing: defaults, normalisation, repeatable options."""

from nova import test

from nova_zvm.simulator import options


class ParserTestCase(test.NoDBTestCase):

    def test_defaults(self):
        args = options.build_parser().parse_args(['--state-dir', 'x'])
        self.assertEqual(('127.0.0.1', 0, 'none', 3600, 'ZVMHOST1',
                          'ZCCUSER', 16, 65536, 'ECKD:POOL1', 0, [], []),
                         (args.host, args.port, args.auth,
                          args.token_validation_period, args.zvm_host,
                          args.zcc_userid, args.cpus, args.memory_mb,
                          args.disk_pool, args.guests, args.fault,
                          args.latency))

    def test_normalisation_and_repeatable_options(self):
        args = options.build_parser().parse_args([
            '--state-dir', 'x', '--zvm-host', 'host2', '--disk-pool',
            'fba:p2', '--fault', 'a:drop', '--fault', 'b:busy',
            '--latency', 'all=0.1', '--latency', 'guest_list=0'])
        self.assertEqual(('HOST2', 'FBA:p2'), (args.zvm_host,
                                               args.disk_pool))
        self.assertEqual(['a:drop', 'b:busy'], args.fault)
        rules, latency = options.parse_rules(args)
        self.assertEqual(['a', 'b'], [r.api for r in rules])
        self.assertEqual({'all': 'fixed:0.1', 'guest_list': 'fixed:0.0'},
                         latency.to_dict())

    def parse(self, *argv):
        return options.build_parser().parse_args(['--state-dir', 'x'] +
                                                 list(argv))

    def test_pool_volumes(self):
        self.assertIsNone(options.pool_volumes(self.parse()))
        self.assertEqual([10016, 3338], options.pool_volumes(
            self.parse('--pool-volumes', '10016,3338')))
        # --disk-pool-size is split into volumes of the default size.
        self.assertEqual([32760, 32760, 5], options.pool_volumes(
            self.parse('--disk-pool-size', str(2 * 32760 + 5))))

    def test_zvm_latency_overrides_the_defaults(self):
        table = options.zvm_latency(self.parse('--zvm-latency', 'vmur=2'))
        self.assertEqual(2.0, table['vmur'])
        self.assertGreater(len(table), 1)
        self.assertEqual({'*': 0.0, 'vmur': 2.0}, options.zvm_latency(
            self.parse('--zvm-latency', '*=0', '--zvm-latency', 'vmur=2')))

    def test_plain_http_has_no_tls_context(self):
        self.assertIsNone(options.ssl_context(self.parse()))

    def test_check_args_refuses_what_argparse_cannot(self):
        err = self.assertRaises(options.UsageError, options.check_args,
                                self.parse('--key', __file__))
        self.assertEqual('--cert and --key go together', str(err))
        err = self.assertRaises(options.UsageError, options.check_args,
                                self.parse('--pool-volumes', 'a,b'))
        self.assertIn('--pool-volumes takes sizes', str(err))
