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
import http.server
import os
import threading

from zvmsdk import exception
from zvmsdk.sdkwsgi import util as wsgi_util

from nova_zvm.simulator import images
from nova_zvm.tests.unit.simulator.model import base


class ImportTestCase(base.ModelTestCase):

    def test_import_and_query(self):
        info = self.import_image('img1', os_version='RHEL8.4')
        result = self.model.image_query('img1')
        self.assertEqual(1, len(result))
        image = result[0]
        self.assertEqual('img1', image['imagename'])
        self.assertEqual('rhel8.4', image['imageosdistro'])
        self.assertEqual(info['md5sum'], image['md5sum'])
        self.assertEqual('3338:CYL', image['disk_size_units'])
        self.assertEqual(str(info['size']), image['image_size_in_bytes'])
        self.assertEqual('rootonly', image['type'])
        self.assertIsNone(image['comments'])
        self.assertIsInstance(image['last_access_time'], float)
        self.assertEqual('3338', self.model.image_get_root_disk_size('img1'))
        self.assertEqual(result, self.model.image_query())

    def test_fba_image(self):
        self.import_image('fba', disk_type='FBA', size=4194304)
        self.assertEqual('4194304:BLK', self.model.image_query('fba')[0][
            'disk_size_units'])

    def test_unknown_image_is_404(self):
        self.assertSDKError(base.IMAGE_NOT_FOUND, self.model.image_query,
                            'nope')
        self.assertSDKError(base.IMAGE_NOT_FOUND,
                            self.model.image_get_root_disk_size, 'nope')
        self.assertSDKError(base.IMAGE_NOT_FOUND, self.model.image_export,
                            'nope', 'file:///tmp/x')

    def test_duplicate_name_any_case_is_409(self):
        self.import_image('img1')
        info = self.image_file('again')
        exc = self.assertSDKError((300, 40, 300, 13),
                                  self.model.image_import, 'IMG1',
                                  'file://' + info['path'],
                                  {'os_version': 'rhel8'})
        self.assertEqual(409, wsgi_util.get_http_code_from_sdk_return(
            dict(exc.results), additional_handler=(
                wsgi_util.handle_already_exists)))

    def test_md5_mismatch(self):
        info = self.image_file()
        self.assertSDKError((300, 40, 300, 4), self.model.image_import,
                            'img1', 'file://' + info['path'],
                            {'os_version': 'rhel8',
                             'md5sum': '0' * 32})
        self.assertEqual([], self.model.image_query())

    def test_file_without_header_is_refused(self):
        path = os.path.join(self.tmp, 'raw.img')
        with open(path, 'wb') as f:
            f.write(b'\x00' * 4096)
        self.assertSDKError((300, 40, 300, 6), self.model.image_import,
                            'raw', 'file://' + path, {'os_version': 'rhel8'})
        info = self.image_file('scsi', disk_type='FCP', size=100)
        self.assertSDKError((300, 40, 300, 7), self.model.image_import,
                            'scsi', 'file://' + info['path'],
                            {'os_version': 'rhel8'})
        self.assertEqual([], self.model.image_query())
        # Nothing left behind in the blob store but the empty blob.
        self.assertEqual(1, sum(len(files) for _d, _s, files in os.walk(
            os.path.join(self.state_dir, 'blobs'))))

    def test_missing_file_and_bad_schemes(self):
        self.assertSDKError((300, 40, 300, 12), self.model.image_import,
                            'img', 'file:///no/such/file',
                            {'os_version': 'rhel8'})
        self.assertSDKError((300, 40, 300, 2), self.model.image_import,
                            'img', 'https://example.com/x.img',
                            {'os_version': 'rhel8'})
        self.assertSDKError((300, 40, 300, 11), self.model.image_import,
                            'img', 'file:///no/such/file',
                            {'os_version': 'rhel8'}, remote_host='host')

    def test_rhcos_needs_disk_type(self):
        info = self.image_file()
        self.assertSDKError((300, 40, 300, 14), self.model.image_import,
                            'core', 'file://' + info['path'],
                            {'os_version': 'rhcos4.6'})
        self.model.image_import('core', 'file://' + info['path'],
                                {'os_version': 'rhcos4.6',
                                 'disk_type': 'dasd'})
        self.assertEqual("{'disk_type': 'DASD'}",
                         self.model.image_query('core')[0]['comments'])

    def test_http_import(self):
        info = self.image_file(payload=b'served over http' * 1000)
        directory = os.path.dirname(info['path'])

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs):
                super(Handler, self).__init__(*args, directory=directory,
                                              **kwargs)

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        url = 'http://127.0.0.1:%d/%s' % (server.server_address[1],
                                          os.path.basename(info['path']))
        self.model.image_import('web', url, {'os_version': 'sles15',
                                             'md5sum': info['md5sum']})
        self.assertEqual(info['md5sum'],
                         self.model.image_query('web')[0]['md5sum'])
        self.assertSDKError((300, 40, 300, 9), self.model.image_import,
                            'web2', url + '.missing',
                            {'os_version': 'sles15'})


class ExportDeleteTestCase(base.ModelTestCase):

    def test_export_writes_the_same_file(self):
        info = self.import_image('img1', payload=b'\x01\x02' * 700000,
                                 gzip=6)
        dest = os.path.join(self.tmp, 'out', 'exported.img')
        os.makedirs(os.path.dirname(dest))
        result = self.model.image_export('img1', 'file://' + dest)
        self.assertEqual({'image_name': 'img1',
                          'image_path': 'file://' + dest,
                          'os_version': 'rhel8.4',
                          'md5sum': info['md5sum'], 'comments': None},
                         result)
        with open(dest, 'rb') as f:
            self.assertEqual(info['md5sum'],
                             hashlib.md5(f.read()).hexdigest())
        self.assertEqual(6, images.read_header(dest).gzip)

    def test_export_to_missing_directory(self):
        self.import_image('img1')
        self.assertSDKError((300, 40, 300, 22), self.model.image_export,
                            'img1', 'file:///no/such/dir/x.img')

    def test_delete_and_delete_again(self):
        self.import_image('img1')
        payload = self.model._images.get('img1')['payload']
        self.model.image_delete('IMG1')
        self.assertEqual([], self.model.image_query())
        self.assertFalse(self.model._blobs.exists(payload))
        self.assertIsNone(self.model.image_delete('img1'))

    def test_deleted_image_content_stays_on_deployed_disks(self):
        self.deployed_guest('VM1', networks=False)
        payload = self.model._images.get('img1')['payload']
        self.model.image_delete('img1')
        self.assertTrue(self.model._blobs.exists(payload))
        self.model.guest_delete('VM1')
        self.assertFalse(self.model._blobs.exists(payload))

    def test_images_keep_their_content_over_restart(self):
        info = self.import_image('img1')
        other = self.make_model()
        dest = os.path.join(self.tmp, 'after-restart.img')
        other.image_export('img1', 'file://' + dest)
        with open(dest, 'rb') as f:
            self.assertEqual(info['md5sum'],
                             hashlib.md5(f.read()).hexdigest())

    def test_import_of_same_content_twice_shares_the_blob(self):
        self.import_image('a')
        self.import_image('b')
        a = self.model._images.get('a')
        b = self.model._images.get('b')
        self.assertEqual(a['payload'], b['payload'])
        self.model.image_delete('a')
        self.assertTrue(self.model._blobs.exists(b['payload']))


class ErrorIsolationTestCase(base.ModelTestCase):

    def test_results_are_private_copies(self):
        first = self.assertSDKError(base.IMAGE_NOT_FOUND,
                                    self.model.image_query, 'nope')
        self.create_guest('VM1')
        self.assertSDKError(base.GUEST_EXISTS, self.create_guest, 'VM1')
        self.assertSDKError(base.GUEST_NOT_FOUND,
                            self.model.guest_get_power_state, 'NOPE')
        # zvmsdk would have rewritten the shared dict: modID 10 by now.
        self.assertEqual(40, first.results['modID'])
        self.assertIsInstance(first, exception.SDKObjectNotExistError)
