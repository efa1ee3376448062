/**
 * Every setting of `andon serve`, in one table: its flag, its environment
 * variables, its config-file key, its kind and its default. The parser, the
 * usage text and docs/configuration.md all follow this table.
 */

/** How a setting's text is read. */
export type SettingKind =
  | 'port'
  | 'string'
  | 'duration'
  | 'count'
  | 'size'
  | 'boolean'
  | 'list'
  | 'algorithm'
  | 'log-level'
  | 'store'
  | 'durability';

/** One setting. */
export interface SettingSpec {
  /** Key in the config file and in the parsed result. */
  readonly key: string;
  /** Command-line flag, without the dashes. */
  readonly flag: string;
  /** Environment variables read when the flag is absent, first found wins. */
  readonly env: readonly string[];
  readonly kind: SettingKind;
  /** Default, in the setting's text form; undefined means unset. */
  readonly default: string | undefined;
  /** One line for the usage text and the docs. */
  readonly help: string;
  /** Smallest value for counts. */
  readonly min?: number;
  /** Largest value for counts. */
  readonly max?: number;
}

/** JWT algorithms the hub verifies (defined with the verifier). */
export { JWT_ALGORITHMS } from '../mercure/auth.js';

/** Log levels, as pino names them. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Most `--workers`: more processes than this only share the same cores and memory. */
export const MAX_WORKERS = 64;

/** The settings of `andon serve`. */
export const SERVE_SETTINGS: readonly SettingSpec[] = [
  { key: 'port', flag: 'port', env: ['PORT'], kind: 'port', default: '8080', help: 'TCP port' },
  {
    key: 'host',
    flag: 'host',
    env: ['HOST'],
    kind: 'string',
    default: '0.0.0.0',
    help: 'address to listen on',
  },
  {
    key: 'store',
    flag: 'store',
    env: ['ANDON_STORE'],
    kind: 'store',
    default: 'memory',
    help: 'where events are kept: memory, sqlite:PATH (durable), or redis://host:port/db or redis+sentinel://host:port,.../name/db (shared by several hubs)',
  },
  {
    key: 'durability',
    flag: 'durability',
    env: ['ANDON_DURABILITY'],
    kind: 'durability',
    default: 'commit',
    help: 'SQLite: commit (fsync per group commit), batch (survives crashes, not power loss) or none',
  },
  {
    key: 'retentionEvents',
    flag: 'retention-events',
    env: ['ANDON_RETENTION_EVENTS'],
    kind: 'count',
    default: '100000',
    help: 'events kept for replay (the latest of each topic is always kept)',
  },
  {
    key: 'retentionAge',
    flag: 'retention-age',
    env: ['ANDON_RETENTION_AGE'],
    kind: 'duration',
    default: '7d',
    help: 'events older than this are pruned; 0s keeps any age',
  },
  {
    key: 'retainedTopics',
    flag: 'retained-topics',
    env: ['ANDON_RETAINED_TOPICS'],
    kind: 'count',
    default: '100000',
    help: 'most topics whose latest event is retained',
    min: 1,
  },
  {
    key: 'storeMaxSize',
    flag: 'store-max-size',
    env: ['ANDON_STORE_MAX_SIZE'],
    kind: 'size',
    default: '0',
    help: 'SQLite: largest database size (publishes get 503 past it); 0 is no limit',
  },
  {
    key: 'redisPrefix',
    flag: 'redis-prefix',
    env: ['ANDON_REDIS_PREFIX'],
    kind: 'string',
    default: 'andon',
    help: 'Redis: names the keys; hubs with the same prefix on one Redis are one hub',
  },
  {
    key: 'redisReplicas',
    flag: 'redis-replicas',
    env: ['ANDON_REDIS_REPLICAS'],
    kind: 'count',
    default: '0',
    help: 'Redis: replicas that must confirm each publish (WAIT) before its 200, so a failover loses none',
  },
  {
    key: 'workers',
    flag: 'workers',
    env: ['ANDON_WORKERS'],
    kind: 'count',
    default: '1',
    help: 'processes serving (node:cluster); each holds its own subscribers, up to --max-subscribers',
    min: 1,
    max: MAX_WORKERS,
  },
  {
    key: 'timeInterval',
    flag: 'time-interval',
    env: ['ANDON_TIME_INTERVAL'],
    kind: 'duration',
    default: '1s',
    help: 'rate of the /time stream (1ms works)',
  },
  {
    key: 'heartbeat',
    flag: 'heartbeat',
    env: ['ANDON_HEARTBEAT'],
    kind: 'duration',
    default: '15s',
    help: 'heartbeat comment interval; 0s disables',
  },
  {
    key: 'retry',
    flag: 'retry',
    env: ['ANDON_RETRY'],
    kind: 'duration',
    default: '2s',
    help: 'reconnection delay told to clients',
  },
  {
    key: 'jwtKey',
    flag: 'jwt-key',
    env: ['MERCURE_JWT_KEY'],
    kind: 'string',
    default: undefined,
    help: 'key for publisher and subscriber tokens (HMAC secret or PEM public key)',
  },
  {
    key: 'jwtAlg',
    flag: 'jwt-alg',
    env: ['MERCURE_JWT_ALG'],
    kind: 'algorithm',
    default: undefined,
    help: 'algorithm of --jwt-key (default HS256; RS256/ES256/... take a PEM public key)',
  },
  {
    key: 'publisherJwtKey',
    flag: 'publisher-jwt-key',
    env: ['MERCURE_PUBLISHER_JWT_KEY'],
    kind: 'string',
    default: undefined,
    help: 'key for publisher tokens (overrides --jwt-key)',
  },
  {
    key: 'publisherJwtAlg',
    flag: 'publisher-jwt-alg',
    env: ['MERCURE_PUBLISHER_JWT_ALG'],
    kind: 'algorithm',
    default: undefined,
    help: 'algorithm of the publisher key (default: --jwt-alg)',
  },
  {
    key: 'subscriberJwtKey',
    flag: 'subscriber-jwt-key',
    env: ['MERCURE_SUBSCRIBER_JWT_KEY'],
    kind: 'string',
    default: undefined,
    help: 'key for subscriber tokens (overrides --jwt-key)',
  },
  {
    key: 'subscriberJwtAlg',
    flag: 'subscriber-jwt-alg',
    env: ['MERCURE_SUBSCRIBER_JWT_ALG'],
    kind: 'algorithm',
    default: undefined,
    help: 'algorithm of the subscriber key (default: --jwt-alg)',
  },
  {
    key: 'publisherJwksUrl',
    flag: 'publisher-jwks-url',
    env: ['MERCURE_PUBLISHER_JWKS_URL'],
    kind: 'string',
    default: undefined,
    help: 'JWKS URL whose keys verify publisher tokens',
  },
  {
    key: 'subscriberJwksUrl',
    flag: 'subscriber-jwks-url',
    env: ['MERCURE_SUBSCRIBER_JWKS_URL'],
    kind: 'string',
    default: undefined,
    help: 'JWKS URL whose keys verify subscriber tokens',
  },
  {
    key: 'anonymous',
    flag: 'anonymous',
    env: ['ANDON_ANONYMOUS'],
    kind: 'boolean',
    default: 'false',
    help: 'accept subscribers without a token (public updates only)',
  },
  {
    key: 'subscriptions',
    flag: 'subscriptions',
    env: ['ANDON_SUBSCRIPTIONS'],
    kind: 'boolean',
    default: 'false',
    help: 'publish subscription events and serve the subscriptions API',
  },
  {
    key: 'corsOrigins',
    flag: 'cors-origins',
    env: ['ANDON_CORS_ORIGINS'],
    kind: 'list',
    default: undefined,
    help: 'origins allowed to use the hub from a browser, comma-separated, or *',
  },
  {
    key: 'publishOrigins',
    flag: 'publish-origins',
    env: ['ANDON_PUBLISH_ORIGINS'],
    kind: 'list',
    default: undefined,
    help: 'origins allowed to publish with a cookie token (CSRF protection)',
  },
  {
    key: 'cookieName',
    flag: 'cookie-name',
    env: ['ANDON_COOKIE_NAME'],
    kind: 'string',
    default: 'mercureAuthorization',
    help: 'cookie that may carry a token',
  },
  {
    key: 'maxBody',
    flag: 'max-body',
    env: ['ANDON_MAX_BODY'],
    kind: 'size',
    default: '1MB',
    help: 'largest publish body (413 past it)',
  },
  {
    key: 'maxSelectors',
    flag: 'max-selectors',
    env: ['ANDON_MAX_SELECTORS'],
    kind: 'count',
    default: '100',
    help: 'most topic selectors per subscription (400 past it)',
    min: 1,
  },
  {
    key: 'maxSubscribers',
    flag: 'max-subscribers',
    env: ['ANDON_MAX_SUBSCRIBERS'],
    kind: 'count',
    default: undefined,
    help: 'most concurrent subscribers per worker (503 past it); default: what the open-files limit allows',
    min: 1,
  },
  {
    key: 'publishRate',
    flag: 'publish-rate',
    env: ['ANDON_PUBLISH_RATE'],
    kind: 'count',
    default: '0',
    help: 'publishes per second per token (429 past it); 0 is no limit',
  },
  {
    key: 'demo',
    flag: 'demo',
    env: ['ANDON_DEMO'],
    kind: 'boolean',
    default: 'false',
    help: 'run the demo hall simulator (20 workplaces) and its demo board',
  },
  {
    key: 'logLevel',
    flag: 'log-level',
    env: ['ANDON_LOG_LEVEL', 'LOG_LEVEL'],
    kind: 'log-level',
    default: 'info',
    help: 'fatal, error, warn, info, debug, trace or silent',
  },
];

/**
 * Config-file keys holding structures rather than one value: validated by
 * their own modules (boards, sources), which name the entry and field at fault.
 */
export const STRUCTURED_KEYS = ['boards', 'sources'] as const;
