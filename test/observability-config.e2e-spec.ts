import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { PRIMARY, startTestApp, uniqueProfile } from './support/test-app';
import { systemTool } from './support/tools';

const DIR = resolve(__dirname, '..', 'deploy', 'observability');

const promtool = () =>
  systemTool([process.env.PROMTOOL_PATH, '/usr/bin/promtool'], 'scripts/install-prometheus.sh');

/** Every metric name a PromQL expression reads (our own families: llm_*, service_*). */
function metricNames(expr: string): string[] {
  return [...new Set(expr.match(/\b(?:llm|service)_[a-z_]+\b/g) ?? [])].map((name) =>
    name.replace(/_(bucket|count|sum)$/, ''),
  );
}

const dashboard = JSON.parse(readFileSync(join(DIR, 'grafana-dashboard.json'), 'utf8')) as {
  panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
};
const rules = parse(readFileSync(join(DIR, 'alerts.yml'), 'utf8')) as {
  groups: Array<{ rules: Array<{ alert: string; expr: string }> }>;
};

describe('Dashboards and alert rules (deploy/observability)', () => {
  const tool = promtool();

  if (!tool)
    process.stderr.write(
      '\n  Skipped: the alert rules with promtool. To run it: bash scripts/install-prometheus.sh && npm test\n',
    );
  (tool ? it : it.skip)('promtool accepts the rules, and their unit tests pass', () => {
    const check = execFileSync(tool!, ['check', 'rules', join(DIR, 'alerts.yml')], {
      encoding: 'utf8',
    });
    expect(check).toMatch(/SUCCESS: 5 rules found/);
    const tested = execFileSync(tool!, ['test', 'rules', join(DIR, 'alerts.test.yml')], {
      encoding: 'utf8',
    });
    expect(tested).toMatch(/SUCCESS/);
  });

  it('has the alerts an operator needs', () => {
    expect(rules.groups.flatMap((group) => group.rules.map((rule) => rule.alert))).toEqual([
      'LlmAllRoutesFailing',
      'LlmPrimaryCircuitOpen',
      'LlmTrafficAwayFromPrimary',
      'LlmHighErrorRatio',
      'LlmTokenBudgetNearLimit',
    ]);
  });

  it('every metric the dashboard and the alerts read is one the service exports', async () => {
    const t = await startTestApp({
      API_KEYS: 'dashboard-key-AAAA1111BBBB',
      TOKEN_BUDGET_PER_KEY_PER_DAY: '1000000',
    });
    try {
      t.simulator.script(PRIMARY, 'overloaded'); // a fallback, so the fallback counters exist
      await t
        .http()
        .post('/profiles')
        .set('x-api-key', 'dashboard-key-AAAA1111BBBB')
        .send(uniqueProfile())
        .expect(201);
      const { RouteHealthChecker } = await import('../src/llm/probes/route-health-checker.service');
      await t.app.get(RouteHealthChecker).runProbes(); // and the probe counters
      const exported = new Set(
        ((await t.http().get('/metrics').expect(200)).text.match(/^# TYPE (\S+)/gm) ?? []).map(
          (line) => line.slice(7),
        ),
      );
      const used = [
        ...dashboard.panels.flatMap((panel) =>
          panel.targets.flatMap((target) => metricNames(target.expr)),
        ),
        ...rules.groups.flatMap((group) => group.rules.flatMap((rule) => metricNames(rule.expr))),
      ];
      expect(used.length).toBeGreaterThan(10);
      expect(used.filter((name) => !exported.has(name))).toEqual([]);
    } finally {
      await t.close();
    }
  }, 90_000); // boots a whole app and runs a probe round: slow on a loaded CI machine
});
