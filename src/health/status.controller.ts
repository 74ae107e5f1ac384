import { Controller, Get, Header } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/api-key.guard';
import { DatabaseService } from '../database/database.service';
import { LlmStatus, LlmStatusService, RecentAttemptsSummary, RouteEvent } from '../llm';
import { TokenBudgetService } from '../spend/token-budget.service';
import { STATUS_PAGE, STATUS_PAGE_CSP } from './status-page';

type DependencyState = { state: 'up' | 'down' | 'not_configured'; detail?: string };

export interface StatusData {
  generatedAt: string;
  llm: LlmStatus;
  timeline: RouteEvent[];
  recent: RecentAttemptsSummary;
  /** Today (UTC) per client seen by this replica: tokens as budgets count them, estimated USD (shared with Redis). */
  spendToday: Array<{ client: string; tokens: number; usd: number }>;
  dependencies: Record<string, DependencyState>;
}

/** The status page for people: routes, sticky route, the timeline of failovers and recoveries, the last hour. */
@ApiTags('health')
@Controller('status')
export class StatusController {
  constructor(
    private readonly llmStatus: LlmStatusService,
    private readonly database: DatabaseService,
    private readonly budgets: TokenBudgetService,
  ) {}

  /** The page itself holds no data (it asks for a key when the service has API_KEYS). */
  @Public()
  @Get()
  @ApiOperation({ summary: 'The status page (HTML; it reads /status/data and refreshes itself)' })
  @ApiProduces('text/html')
  @ApiResponse({ status: 200, description: 'The page' })
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  // Its own policy: its inline script and style only, its data from this origin, nothing framed.
  @Header('Content-Security-Policy', STATUS_PAGE_CSP)
  page(): string {
    return STATUS_PAGE;
  }

  @Get('data')
  @ApiSecurity('apiKey')
  @ApiOperation({ summary: 'What the status page shows (needs a key when API_KEYS is set)' })
  @ApiResponse({ status: 200, description: 'Routes, timeline, the last hour, dependencies' })
  async data(): Promise<StatusData> {
    return {
      generatedAt: new Date().toISOString(),
      llm: this.llmStatus.status(),
      timeline: this.llmStatus.timeline(),
      recent: this.llmStatus.recent(),
      spendToday: this.budgets.spendToday(),
      dependencies: {
        database: await this.databaseState(),
        redis: this.redisState(),
      },
    };
  }

  /** Redis as the shared route state sees it: not configured (state per process), shared (up), or degraded. */
  private redisState(): DependencyState {
    const shared = this.llmStatus.status().sharedState;
    switch (shared.mode) {
      case 'local':
        return {
          state: 'not_configured',
          detail: 'no REDIS_URL: each process keeps its own state',
        };
      case 'shared':
        return { state: 'up', detail: shared.backend };
      case 'degraded':
        return {
          state: 'down',
          detail: `${shared.backend ?? 'Redis'} unreachable: each process on its own state`,
        };
    }
  }

  private async databaseState(): Promise<DependencyState> {
    try {
      await this.database.ping();
      return { state: 'up', detail: this.database.label };
    } catch {
      return { state: 'down', detail: this.database.label };
    }
  }
}
