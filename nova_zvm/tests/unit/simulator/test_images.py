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

import hashlib
import io
import os
import shutil
import subprocess

import fixtures
import testtools

from nova_zvm.simulator import images


class HeaderTestCase(testtools.TestCase):

    def test_eckd_header_is_creatediskimage_layout(self):
        head = images.header('ECKD', '3338', gzip=6)
        self.assertEqual(images.HEADER_SIZE, len(head))
        text = head.decode('ascii')
        self.assertEqual('xCAT CKD Disk Image:', text[:20])
        # 16-byte size field, right-justified, then HLen and GZIP.
        self.assertEqual('        3338 CYL', text[20:36])
        self.assertEqual(' HLen: 0055 GZIP: 6', text[36:55])
        self.assertEqual(' ' * (512 - 55), text[55:])

    def test_fba_header_counts_blocks(self):
        text = images.header('fba', 4194304).decode('ascii')
        self.assertEqual('xCAT FBA Part Image:', text[:20])
        self.assertEqual('   4194304 BLK', text[22:36])

    def test_header_refuses_bad_arguments(self):
        self.assertRaises(ValueError, images.header, 'ECKD', '1g')
        self.assertRaises(ValueError, images.header, 'ECKD', 10, gzip=10)
        self.assertRaises(ValueError, images.header, 'XYZ', 10)

    def test_parse_header_round_trip(self):
        parsed = images.parse_header(images.header('CKD', 3338, 6))
        self.assertEqual(images.ImageHeader('ECKD', 3338, 'CYL', 55, 6),
                         parsed)
        parsed = images.parse_header(images.header('FBA', 2000))
        self.assertEqual(('FBA', 2000, 'BLK'), parsed[:3])


class ConnectorParserTestCase(testtools.TestCase):
    """The parser must accept and refuse what zvmsdk's hexdump slicing
    accepts and refuses.
    """

    def test_size_units(self):
        self.assertEqual('3338:CYL', images.connector_disk_size_units(
            images.header('ECKD', 3338)))
        self.assertEqual('467200:BLK', images.connector_disk_size_units(
            images.header('FBA', 467200)))

    def test_fcp_capture_is_refused_rs7(self):
        err = self.assertRaises(images.InvalidImage,
                                images.connector_disk_size_units,
                                images.header('FCP', 1000))
        self.assertEqual(7, err.rs)

    def test_no_header_is_refused_rs6(self):
        for data in (b'', b'\x00' * 512, b'hello world, not an image' * 4,
                     b' ' * 48):
            err = self.assertRaises(images.InvalidImage,
                                    images.connector_disk_size_units, data)
            self.assertEqual(6, err.rs, data[:20])

    def test_reads_exactly_the_columns_zvmsdk_reads(self):
        # zvmsdk slices fixed columns of the dump: a field one column to
        # the left still parses, with a mangled unit. So does the model.
        data = b'xCAT CKD Disk Image:       3338 CYL '.ljust(48)
        self.assertEqual('3338:YL ', images.connector_disk_size_units(data))
        # Letters in the size columns: no size at all.
        data = b'xCAT CKD Disk Image:    3338 CYL HLen'.ljust(48)
        err = self.assertRaises(images.InvalidImage,
                                images.connector_disk_size_units, data)
        self.assertEqual(6, err.rs)

    def test_hexdump_emulation_matches_hexdump(self):
        if not shutil.which('hexdump'):
            self.skipTest('hexdump is not installed')
        tmp = self.useFixture(fixtures.TempDir()).path
        samples = [b'', b'abc', images.header('ECKD', 3338, 6)[:48],
                   b' ' * 48, bytes(range(48)), b'A' * 16 + b'B' * 20]
        for index, data in enumerate(samples):
            path = os.path.join(tmp, 'sample%d' % index)
            with open(path, 'wb') as f:
                f.write(data)
            real = subprocess.run(['hexdump', '-n', '48', '-C', path],
                                  capture_output=True, text=True).stdout
            self.assertEqual(real, images.hexdump_c(data), data)


class WriteImageTestCase(testtools.TestCase):

    def setUp(self):
        super(WriteImageTestCase, self).setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path

    def test_write_and_read_back(self):
        path = os.path.join(self.tmp, 'img')
        payload = b'root file system' * 100
        info = images.write_image(path, 'ECKD', '3338', payload, gzip=6)
        with open(path, 'rb') as f:
            data = f.read()
        self.assertEqual(512 + len(payload), info['size'])
        self.assertEqual(len(data), info['size'])
        self.assertEqual(hashlib.md5(data).hexdigest(), info['md5sum'])
        self.assertEqual(hashlib.sha256(payload).hexdigest(),
                         info['payload_sha256'])
        self.assertEqual(payload, b''.join(images.read_payload(path)))
        self.assertEqual(('ECKD', 3338, 'CYL', 55, 6),
                         tuple(images.read_header(path)))

    def test_payload_from_file_object_and_chunks(self):
        first = os.path.join(self.tmp, 'a')
        second = os.path.join(self.tmp, 'b')
        a = images.write_image(first, 'FBA', 100,
                               io.BytesIO(b'x' * 3000000))
        b = images.write_image(second, 'FBA', 100,
                               (b'x' * 1000000 for _i in range(3)))
        self.assertEqual(a['md5sum'], b['md5sum'])
        self.assertEqual(a['payload_sha256'], b['payload_sha256'])

    def test_pattern_payload_is_deterministic_and_sized(self):
        chunks = list(images.pattern_payload(2500000, seed=b's'))
        self.assertEqual(2500000, sum(len(c) for c in chunks))
        self.assertGreater(len(chunks), 1)
        again = b''.join(images.pattern_payload(2500000, seed=b's'))
        self.assertEqual(b''.join(chunks), again)
        other = b''.join(images.pattern_payload(2500000, seed=b't'))
        self.assertNotEqual(again, other)

    def test_read_header_of_foreign_file(self):
        path = os.path.join(self.tmp, 'qcow2')
        with open(path, 'wb') as f:
            f.write(b'QFI\xfb' + b'\x00' * 1000)
        err = self.assertRaises(images.InvalidImage, images.read_header,
                                path)
        self.assertEqual(6, err.rs)
