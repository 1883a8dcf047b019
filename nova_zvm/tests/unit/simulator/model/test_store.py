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
import os
import threading

import fixtures
import testtools
from zvmsdk import exception

from nova_zvm.simulator.model import errors
from nova_zvm.simulator.model import store


class JSONTestCase(testtools.TestCase):

    def test_write_is_atomic_and_leaves_no_temporary(self):
        tmp = self.useFixture(fixtures.TempDir()).path
        path = os.path.join(tmp, 'x.json')
        store.write_json(path, {'a': 1})
        store.write_json(path, {'a': 2})
        self.assertEqual({'a': 2}, store.read_json(path))
        self.assertEqual(['x.json'], os.listdir(tmp))
        self.assertEqual('d', store.read_json(path + '.missing', 'd'))


class BlobStoreTestCase(testtools.TestCase):

    def setUp(self):
        super(BlobStoreTestCase, self).setUp()
        tmp = self.useFixture(fixtures.TempDir()).path
        self.root = os.path.join(tmp, 'blobs')
        self.blobs = store.BlobStore(self.root, os.path.join(tmp, 'tmp'))

    def test_content_addressed_and_counted(self):
        data = b'disk content' * 100000
        digest, size = self.blobs.put_chunks(iter([data[:5], data[5:]]))
        self.assertEqual(hashlib.sha256(data).hexdigest(), digest)
        self.assertEqual(len(data), size)
        self.assertEqual(data, b''.join(self.blobs.chunks(digest)))
        again = self.blobs.put_bytes(data)
        self.assertEqual(digest, again)
        self.assertEqual(2, self.blobs.refs(digest))
        self.blobs.decref(digest)
        self.assertTrue(self.blobs.exists(digest))
        self.blobs.decref(digest)
        self.assertFalse(self.blobs.exists(digest))

    def test_empty_blob_is_never_removed(self):
        self.blobs.incref(store.EMPTY_DIGEST)
        self.blobs.decref(store.EMPTY_DIGEST)
        self.assertTrue(self.blobs.exists(store.EMPTY_DIGEST))
        self.assertRaises(KeyError, self.blobs.incref, '0' * 64)

    def test_failed_stream_leaves_nothing(self):
        def chunks():
            yield b'partial'
            raise IOError('source went away')

        self.assertRaises(IOError, self.blobs.put_chunks, chunks())
        blobs = [n for _d, _s, names in os.walk(self.root) for n in names]
        self.assertEqual([store.EMPTY_DIGEST], blobs)

    def test_reset_collects_unreferenced(self):
        kept = self.blobs.put_bytes(b'kept')
        lost = self.blobs.put_bytes(b'lost')
        self.blobs.reset_refs({kept: 1})
        self.assertTrue(self.blobs.exists(kept))
        self.assertFalse(self.blobs.exists(lost))

    def test_link_from_another_store(self):
        digest = self.blobs.put_bytes(b'relocated')
        other = store.BlobStore(self.root + '2', self.root + '2tmp')
        other.link(self.blobs.path(digest), digest)
        self.assertEqual(b'relocated', b''.join(other.chunks(digest)))
        self.assertEqual(1, other.refs(digest))


class KeyedLocksTestCase(testtools.TestCase):

    def test_one_lock_per_key(self):
        locks = store.KeyedLocks()
        self.assertIs(locks.get('A'), locks.get('A'))
        self.assertIsNot(locks.get('A'), locks.get('B'))


class ErrorsTestCase(testtools.TestCase):

    def test_concurrent_errors_keep_their_own_codes(self):
        # zvmsdk's classes write module-wide dicts in place; built through
        # errors, each keeps what it was built with.
        built = []

        def build(kind):
            for _i in range(300):
                if kind:
                    built.append((40, errors.not_found('x', 'image')))
                else:
                    built.append((10, errors.guest_not_found('y')))

        threads = [threading.Thread(target=build, args=(i % 2,))
                   for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(1200, len(built))
        for mod, exc in built:
            self.assertEqual(mod, exc.results['modID'])
        self.assertIsInstance(built[0][1], exception.SDKObjectNotExistError)

    def test_smt_failure_message_and_codes(self):
        exc = errors.smt(8, 400, 4, request='getvm X directory',
                         detail='Image definition X not found')
        self.assertEqual((8, 1, 400, 4), (
            exc.results['overallRC'], exc.results['modID'],
            exc.results['rc'], exc.results['rs']))
        self.assertIn('getvm X directory', exc.format_message())
        self.assertIn('not found', exc.format_message())
