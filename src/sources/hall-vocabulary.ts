/**
 * What the demo hall is made of: its states, the downtime reasons with how
 * long each lasts, its operators and how orders are numbered. Durations are
 * in minutes of hall time and were chosen to look like a machining hall on a
 * normal shift: production runs of a quarter to three quarters of an hour,
 * short tool changes, long maintenance, rare power-offs. Over a shift the
 * hall spends about 60 % of its time in production, 30 % in downtime and 10 %
 * powered off.
 */

/** The states a workplace is in, as the original MES names them. */
export const HALL_STATES = ['Production', 'Downtime', 'Poweroff'] as const;

/** One of {@link HALL_STATES}. */
export type HallState = (typeof HALL_STATES)[number];

/** A range of minutes, drawn uniformly. */
export interface Minutes {
  readonly min: number;
  readonly max: number;
}

/** How long a production run lasts before something happens. */
export const PRODUCTION_RUN: Minutes = { min: 5, max: 45 };

/** How long a workplace stays powered off (end of a shift, a weekend machine). */
export const POWEROFF: Minutes = { min: 20, max: 120 };

/** Downtime reasons: how often each happens (weight) and how long it lasts. */
export const DOWNTIME_REASONS: Readonly<
  Record<string, { readonly weight: number; readonly minutes: Minutes }>
> = {
  'Tool change': { weight: 30, minutes: { min: 2, max: 8 } },
  'Quality check': { weight: 20, minutes: { min: 3, max: 12 } },
  Setup: { weight: 20, minutes: { min: 8, max: 25 } },
  'Material shortage': { weight: 15, minutes: { min: 10, max: 40 } },
  Maintenance: { weight: 15, minutes: { min: 15, max: 60 } },
};

/** The reason after which a workplace starts a new order (it was set up for one). */
export const SETUP_REASON = 'Setup';

/** What ends a production run, by weight. */
export const AFTER_PRODUCTION = {
  downtime: 80,
  /** The order is done and the next one starts at once: the state (and `since`) stays. */
  nextOrder: 12,
  /** Shift handover at the machine: the state stays. */
  nextOperator: 6,
  poweroff: 2,
} as const;

/** What ends a downtime, by weight. */
export const AFTER_DOWNTIME = { production: 95, poweroff: 5 } as const;

/** What a workplace is doing when the hall starts, by weight. */
export const INITIAL_STATE: Readonly<Record<HallState, number>> = {
  Production: 60,
  Downtime: 30,
  Poweroff: 10,
};

/** Operators of the hall (more than workplaces, so each workplace has its own). */
export const OPERATORS: readonly string[] = [
  'Jan Novák',
  'Petr Svoboda',
  'Jiří Dvořák',
  'Marie Černá',
  'Lucie Procházková',
  'Tomáš Kučera',
  'Eva Veselá',
  'Martin Horák',
  'Zdeněk Němec',
  'Kateřina Marková',
  'Pavel Pokorný',
  'Jana Pospíšilová',
  'Lukáš Hájek',
  'Ondřej Král',
  'Věra Jelínková',
  'Miroslav Růžička',
  'Hana Benešová',
  'Radek Fiala',
  'Alena Sedláčková',
  'Josef Doležal',
  'Michal Zeman',
  'Tereza Kolářová',
  'Vojtěch Navrátil',
  'Šárka Čermáková',
  'Štěpán Říha',
  'Žaneta Kovářová',
  'Aleš Šimek',
  'Dagmar Bartošová',
];

/** Order numbers look like `ZK-118`: this prefix, then a counter. */
export const ORDER_PREFIX = 'ZK-';
