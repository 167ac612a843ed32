import { describe, expect, it } from 'vitest';
import { CONTENT_TYPE, Counter, Gauge, Histogram, Registry } from './registry.js';

describe('Prometheus registry', () => {
  it('renders counters and gauges in the 0.0.4 text format, metrics by name and series by label values', () => {
    const registry = new Registry();
    const requests = registry.register(
      new Counter({ name: 'http_requests_total', help: 'Requests served.', labelNames: ['method', 'code'] }),
    );
    const temperature = registry.register(new Gauge({ name: 'a_temperature_celsius', help: 'How warm it is.' }));
    requests.inc({ method: 'post', code: '201' });
    requests.inc({ method: 'get', code: '200' }, 3);
    requests.inc({ method: 'get', code: '200' });
    temperature.set({}, -1.5);
    expect(registry.render()).toBe(
      [
        '# HELP a_temperature_celsius How warm it is.',
        '# TYPE a_temperature_celsius gauge',
        'a_temperature_celsius -1.5',
        '# HELP http_requests_total Requests served.',
        '# TYPE http_requests_total counter',
        'http_requests_total{method="get",code="200"} 4',
        'http_requests_total{method="post",code="201"} 1',
        '',
      ].join('\n'),
    );
    expect(CONTENT_TYPE).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it('shows a label-less metric at zero before its first update, and a labelled one with no series', () => {
    const registry = new Registry();
    registry.register(new Counter({ name: 'jobs_total', help: 'Jobs.' }));
    registry.register(new Gauge({ name: 'depth', help: 'Depth.', labelNames: ['queue'] }));
    expect(registry.render()).toBe(
      '# HELP depth Depth.\n# TYPE depth gauge\n# HELP jobs_total Jobs.\n# TYPE jobs_total counter\njobs_total 0\n',
    );
  });

  it('escapes backslash, double quote and newline in label values, and backslash and newline in help', () => {
    const registry = new Registry();
    const files = registry.register(new Counter({ name: 'files_total', help: 'Files in C:\\in\nper "path".', labelNames: ['path'] }));
    files.inc({ path: 'a\\b "c"\nd' });
    expect(registry.render().split('\n').slice(0, 3)).toEqual([
      '# HELP files_total Files in C:\\\\in\\nper "path".',
      '# TYPE files_total counter',
      'files_total{path="a\\\\b \\"c\\"\\nd"} 1',
    ]);
  });

  it('renders histograms with cumulative buckets, +Inf, _sum and _count, the le label last', () => {
    const registry = new Registry();
    const latency = registry.register(
      new Histogram({ name: 'latency_seconds', help: 'Latency.', labelNames: ['route'], buckets: [0.25, 0.5, 1] }),
    );
    // Binary fractions, so that _sum is exact.
    for (const v of [0.125, 0.25, 0.375, 0.75, 2]) latency.observe({ route: '/a' }, v);
    latency.observe({ route: '/b' }, 0.5);
    expect(registry.render()).toBe(
      [
        '# HELP latency_seconds Latency.',
        '# TYPE latency_seconds histogram',
        'latency_seconds_bucket{route="/a",le="0.25"} 2',
        'latency_seconds_bucket{route="/a",le="0.5"} 3',
        'latency_seconds_bucket{route="/a",le="1"} 4',
        'latency_seconds_bucket{route="/a",le="+Inf"} 5',
        'latency_seconds_sum{route="/a"} 3.5',
        'latency_seconds_count{route="/a"} 5',
        'latency_seconds_bucket{route="/b",le="0.25"} 0',
        'latency_seconds_bucket{route="/b",le="0.5"} 1',
        'latency_seconds_bucket{route="/b",le="1"} 1',
        'latency_seconds_bucket{route="/b",le="+Inf"} 1',
        'latency_seconds_sum{route="/b"} 0.5',
        'latency_seconds_count{route="/b"} 1',
        '',
      ].join('\n'),
    );
  });

  it('renders an unobserved label-less histogram as all zeros', () => {
    const registry = new Registry();
    registry.register(new Histogram({ name: 'wait_seconds', help: 'Wait.', buckets: [1] }));
    expect(registry.render()).toBe(
      '# HELP wait_seconds Wait.\n# TYPE wait_seconds histogram\n' +
        'wait_seconds_bucket{le="1"} 0\nwait_seconds_bucket{le="+Inf"} 0\nwait_seconds_sum 0\nwait_seconds_count 0\n',
    );
  });

  it('forgets every series of a gauge on reset', () => {
    const registry = new Registry();
    const depth = registry.register(new Gauge({ name: 'depth', help: 'Depth.', labelNames: ['queue'] }));
    depth.set({ queue: 'gone' }, 4);
    depth.reset();
    depth.set({ queue: 'kept' }, 1);
    expect(registry.render()).not.toContain('gone');
    expect(registry.render()).toContain('depth{queue="kept"} 1\n');
  });

  it('rejects invalid metric and label names, reserved labels and duplicate labels', () => {
    expect(() => new Counter({ name: '2xx_total', help: '' })).toThrow(TypeError);
    expect(() => new Counter({ name: 'bytes-moved', help: '' })).toThrow(/not a valid Prometheus metric name/);
    expect(() => new Gauge({ name: 'ok', help: '', labelNames: ['state:x'] })).toThrow(/not a valid label name/);
    expect(() => new Gauge({ name: 'ok', help: '', labelNames: ['__name'] })).toThrow(TypeError);
    expect(() => new Gauge({ name: 'ok', help: '', labelNames: ['a', 'a'] })).toThrow(/names a label twice/);
    expect(() => new Histogram({ name: 'ok', help: '', labelNames: ['le'], buckets: [1] })).toThrow(TypeError);
    expect(() => new Gauge({ name: 'ns:ok_1', help: '', labelNames: ['_a1'] })).not.toThrow();
  });

  it('rejects unordered or empty buckets, a falling counter and a NaN observation', () => {
    expect(() => new Histogram({ name: 'h', help: '', buckets: [] })).toThrow(RangeError);
    expect(() => new Histogram({ name: 'h', help: '', buckets: [1, 1] })).toThrow(RangeError);
    expect(() => new Histogram({ name: 'h', help: '', buckets: [1, Infinity] })).toThrow(RangeError);
    const counter = new Counter({ name: 'c_total', help: '' });
    expect(() => counter.inc({}, -1)).toThrow(RangeError);
    expect(() => counter.inc({}, NaN)).toThrow(RangeError);
    expect(() => new Histogram({ name: 'h', help: '', buckets: [1] }).observe({}, NaN)).toThrow(RangeError);
  });

  it('rejects missing or unexpected labels on use', () => {
    const counter = new Counter({ name: 'c_total', help: '', labelNames: ['phase'] });
    expect(() => counter.inc({} as { phase: string })).toThrow(/takes exactly the labels \[phase\]/);
    expect(() => counter.inc({ phase: 'fetch', extra: 'x' } as { phase: string })).toThrow(TypeError);
  });

  it('refuses two metrics whose samples would collide', () => {
    const registry = new Registry();
    registry.register(new Histogram({ name: 'x', help: '', buckets: [1] }));
    expect(() => registry.register(new Counter({ name: 'x_count', help: '' }))).toThrow(/already registered/);
    expect(() => registry.register(new Gauge({ name: 'x', help: '' }))).toThrow(/already registered/);
  });

  it('runs every collector before a render that asks for it', async () => {
    const registry = new Registry();
    const gauge = registry.register(new Gauge({ name: 'rows', help: 'Rows.' }));
    registry.addCollector(async () => gauge.set({}, 7));
    expect(registry.render()).toContain('rows 0\n');
    await registry.collect();
    expect(registry.render()).toContain('rows 7\n');
  });
});
