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

"""The ``lifecycle`` case's tables: costs per operation, calls made."""

import textwrap

import benchmark_common as common
import benchmark_lifecycle as lifecycle


def _fmt_bytes(value):
    if value >= 10 * 1024 * 1024:
        return '%.0fM' % (value / 1024.0 / 1024.0)
    if value >= 10 * 1024:
        return '%.0fK' % (value / 1024.0)
    return '%d' % value


def _cells(result):
    if result is None or not result.get('runs'):
        return ['-'] * 5 + ['skipped']
    mark = '!' if result.get('failed') else ''
    return ['%g' % result['requests'], '%g' % result['token_requests'],
            '%g' % result['connections'], _fmt_bytes(result['bytes_sent']),
            _fmt_bytes(result['bytes_received']),
            '%.1f%s' % (result['ms'], mark)]


def _totals(ops):
    total = {m: 0 for m in common.METRICS}
    runs = 0
    failed = 0
    for op, _label in lifecycle.OPERATIONS:
        result = ops.get(op)
        if not result or not result.get('runs'):
            continue
        runs += 1
        failed += 1 if result.get('failed') else 0
        for m in common.METRICS:
            total[m] += result[m]
    total['runs'] = runs
    total['failed'] = failed
    return total


HEADER = ('req', 'tok', 'conn', 'sent', 'recv', 'ms')
WIDTHS = (5, 4, 5, 7, 7, 9)


def format_table(pass_result, args):
    keys = list(pass_result['drivers'])
    width = max(len(label) for _op, label in lifecycle.OPERATIONS) + 2
    group = sum(WIDTHS) + len(WIDTHS) - 1
    lines = []
    lines.append('auth %s, %d preloaded guests, median of %d iteration(s)%s'
                 % (pass_result['auth'], args.guests, args.iterations,
                    ', latency %s' % ' '.join(args.latency)
                    if args.latency else ''))
    lines.append(' ' * width + ' | '.join(
        common.DRIVERS[k][0].center(group) for k in keys))
    lines.append('operation'.ljust(width) + ' | '.join(
        ' '.join(h.rjust(w) for h, w in zip(HEADER, WIDTHS))
        for _k in keys))
    lines.append('-' * (width + (group + 3) * len(keys) - 3))
    for op, label in lifecycle.OPERATIONS + (('total', 'total'),):
        cells = []
        for k in keys:
            ops = pass_result['drivers'][k]
            result = _totals(ops) if op == 'total' else ops.get(op)
            cells.append(' '.join(c.rjust(w) for c, w in
                                  zip(_cells(result), WIDTHS)))
        if op == 'total':
            lines.append('-' * (width + (group + 3) * len(keys) - 3))
        lines.append(label.ljust(width) + ' | '.join(cells))
    notes = []
    for k in keys:
        skipped = {}
        for op, label in lifecycle.OPERATIONS:
            result = pass_result['drivers'][k].get(op) or {}
            if not result.get('runs'):
                for reason in result.get('errors', []):
                    skipped.setdefault(reason, []).append(label)
                continue
            for error in result.get('errors', []):
                notes.append('%s, %s: %s'
                             % (common.DRIVERS[k][0], label, error))
        for reason, labels in sorted(skipped.items()):
            notes.append('%s: %d operation(s) skipped: %s'
                         % (common.DRIVERS[k][0], len(labels), reason))
    if notes:
        lines.append('')
        lines.append('! failed (the costs shown are those of the failed '
                     'calls)')
        lines.extend('  ' + n for n in notes)
    if pass_result['leftovers']:
        lines.append('left on the simulator: %s'
                     % ', '.join(pass_result['leftovers']))
    return '\n'.join(lines)


def format_calls(pass_result):
    """The connector calls each operation made, per driver."""
    lines = ['connector calls per operation (auth %s):'
             % pass_result['auth']]
    for k, ops in pass_result['drivers'].items():
        lines.append('  %s' % common.DRIVERS[k][0])
        for op, label in lifecycle.OPERATIONS:
            calls = (ops.get(op) or {}).get('calls')
            if calls is None:
                continue
            text = ', '.join('%s x%d' % (name, n) if n > 1 else name
                             for name, n in sorted(calls.items())) or '-'
            lines.extend(textwrap.wrap(
                text, width=76, initial_indent='    %-27s ' % label,
                subsequent_indent=' ' * 32, break_on_hyphens=False))
    return '\n'.join(lines)
