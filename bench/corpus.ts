/**
 * The pool of request rows the bench sends: tweet-like texts written for the bench, plus
 * deterministic variations of them (a fixed seed, so every run sends the same pool). Pure: the
 * optional real tweets from ../shared/data are read by the runner and passed in.
 */

/** One request row as the disaster-tweets model takes it. */
export interface BenchRow {
  text: string;
  keyword: string;
  location: string;
}

const BASE_TEXTS: readonly string[] = [
  'Forest fire spreading fast near the highway, smoke everywhere. Stay safe everyone!',
  'Just got caught in the rain without an umbrella lol #mondays',
  'Magnitude 5.8 earthquake reported off the coast this morning, no tsunami warning issued',
  'This new album is straight fire 🔥🔥🔥 can not stop listening',
  'Flood waters rising on Main St, residents being evacuated by boat http://t.co/abc123',
  'My phone just died in the middle of the game, total disaster',
  'Emergency crews respond to train derailment, several cars overturned',
  'I am literally dying of boredom in this meeting',
  'Tornado warning in effect until 9pm for the county. Take shelter now!',
  'Watching a documentary about the Titanic sinking, so sad',
  'Police say the building collapse left 3 injured and dozens trapped',
  "Can't believe how hot it is today, the city feels like an oven",
  'Wildfire evacuation orders expanded overnight as winds pick up @CalFire',
  'That exam was a total train wreck, pray for me',
  'Heavy snow causes massive pile-up on I-90, roads closed in both directions',
  'Burning the midnight oil again, deadline tomorrow ☕',
  'Hurricane makes landfall as a category 3 storm, power out for thousands',
  'The crowd went wild when they scored, absolute chaos in the stadium',
  'Chemical spill at the plant: authorities ask residents to stay indoors',
  'Bombed my presentation today. Never again.',
  'Volcano erupts sending ash miles into the sky; flights cancelled',
  'Drought conditions worsen, farmers struggle as wells run dry',
  'Just saw the trailer, the explosion scenes look insane!!',
  'Landslide blocks mountain road after days of heavy rainfall',
  'Ambulance sirens all night on my street, hope everyone is ok',
  'Storm knocked down a tree in our yard, nobody hurt thankfully',
  'Airline lost my luggage again, third time this year. Unbelievable. @united',
  'Thanks @SouthwestAir for the smooth flight and friendly crew!',
  'Flight delayed 4 hours and nobody at the gate can tell us why',
  'Bridge closed after inspectors found cracks following the quake',
  'Heat wave alert: temperatures expected above 40°C through the weekend',
  'Our team got destroyed 5-0, what a massacre',
  'Residents told to boil water after the flood contaminated supplies',
  'Lightning struck the church tower, fire department on scene',
  "I'm screaming at this video 😂😂 my cat is a menace",
  'Search and rescue teams working through the rubble after the blast',
  'Avalanche danger high in the backcountry, stay off the slopes',
  'Just another quiet Sunday, coffee and a book',
  'Gas explosion destroys two houses, neighbours evacuated',
  'Cyclone warning for coastal areas; fishermen advised not to venture out',
  'The traffic this morning was a nightmare, 2 hours to get to work',
  'Oil tanker collision causes major spill off the coast',
  'Sinkhole swallows car in downtown parking lot, driver escaped',
  'Typhoon leaves thousands homeless; aid agencies appeal for donations',
  'Going to the beach this weekend, who is in? ☀️🌊',
  'Army deployed to help with flood relief efforts in the north',
  'Smoke from the fires is making the air quality terrible today',
  'Mass casualty incident declared after bus crash on the interstate',
  'Hailstorm shattered windshields all over town, insane video',
  'Reading a thriller about a pandemic, so creepy right now',
  'Evacuation centre opened at the high school for those displaced by the fire',
  'Our wifi went down for an hour and the whole office panicked',
  'Firefighters battle blaze at abandoned warehouse overnight',
  'The concert was lit 🔥 best night ever',
  'Power outage hits 50,000 homes as ice storm coats lines',
  'Water main burst flooding the subway station, service suspended',
  'Café naïve résumé — coöperate façade at the Ångström lab',
  '#BreakingNews: explosion reported at chemical factory, casualties feared',
  'RT @newsdesk: Dam breach threatens villages downstream, evacuate now',
  "Don't panic but I think I left the oven on 😅",
];

const HAZARDS = [
  'fire',
  'flood',
  'earthquake',
  'storm',
  'explosion',
  'tornado',
  'wildfire',
  'hurricane',
  'landslide',
  'crash',
  'collapse',
  'outage',
  'heat wave',
  'blizzard',
  'evacuation',
];
const PLACES = [
  'Boston',
  'the north side',
  'downtown',
  'Manila',
  'Lagos',
  'the coast',
  'Quebec',
  'my neighborhood',
  'Mumbai',
  'Texas',
  'the valley',
  'Jakarta',
  'London',
  'the airport',
  'São Paulo',
];
const OPENERS = [
  'Breaking:',
  'UPDATE -',
  'omg',
  'Reports of',
  'Just heard about the',
  'Praying for everyone affected by the',
  'lol the',
  'Officials confirm',
  'Video:',
  'Cannot believe the',
  '',
];
const CLOSERS = [
  'stay safe',
  'more soon',
  'this is unreal',
  'thoughts with the families',
  'roads closed',
  'no injuries reported',
  'what a day',
  'send help',
  'so scary',
  'cannot make this up',
];
const TAGS = [
  '#news',
  '#breaking',
  '#prayfor',
  '#weather',
  '#traffic',
  '#fail',
  '#wow',
  '#emergency',
  '#help',
  '',
];
const MENTIONS = ['@user', '@localnews', '@fema', '@redcross', '@airline', ''];
const EMOJI = ['🔥', '😱', '🙏', '😂', '🌪️', '🚒', '💔', '⚠️', ''];
const KEYWORDS = [
  '',
  '',
  'fire',
  'flood',
  'earthquake',
  'wreck',
  'explosion',
  'storm',
  'evacuate',
  'panic',
  'emergency',
];
const LOCATIONS = [
  '',
  '',
  '',
  'USA',
  'London, UK',
  'New York',
  'Nigeria',
  'Worldwide',
  'Toronto',
  'Mumbai, India',
];

/** mulberry32: a small, fast, seedable generator so the pool is the same in every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)];
}

function shout(random: () => number, text: string): string {
  const roll = random();
  if (roll < 0.08) return text.toUpperCase();
  if (roll < 0.2) return text.toLowerCase();
  return text;
}

function variation(random: () => number): string {
  const parts: string[] = [];
  if (random() < 0.5) {
    const base = pick(random, BASE_TEXTS);
    parts.push(
      random() < 0.5
        ? base
        : base
            .split(' ')
            .slice(0, 4 + Math.floor(random() * 8))
            .join(' '),
    );
  } else {
    parts.push(
      pick(random, OPENERS),
      pick(random, HAZARDS),
      'in',
      pick(random, PLACES) + ',',
      pick(random, CLOSERS),
    );
  }
  if (random() < 0.4) parts.push(pick(random, TAGS));
  if (random() < 0.3) parts.push(pick(random, MENTIONS));
  if (random() < 0.3) parts.push(pick(random, EMOJI));
  if (random() < 0.15) parts.push(`http://t.co/${Math.floor(random() * 36 ** 6).toString(36)}`);
  if (random() < 0.1) parts.push(`${1 + Math.floor(random() * 500)} people`);
  return shout(
    random,
    parts
      .filter((p) => p !== '')
      .join(' ')
      .trim(),
  );
}

/** `size` rows: every hand-written text once, then seeded variations. */
export function generatedRows(size: number, seed = 20261122): BenchRow[] {
  const random = seededRandom(seed);
  const rows: BenchRow[] = [];
  for (let i = 0; i < size; i += 1) {
    const text = i < BASE_TEXTS.length ? BASE_TEXTS[i] : variation(random);
    rows.push({ text, keyword: pick(random, KEYWORDS), location: pick(random, LOCATIONS) });
  }
  return rows;
}

/** Interleave generated rows with real ones (when any) so every slice of the pool mixes both. */
export function mixRows(generated: readonly BenchRow[], real: readonly BenchRow[]): BenchRow[] {
  const mixed: BenchRow[] = [];
  const longest = Math.max(generated.length, real.length);
  for (let i = 0; i < longest; i += 1) {
    if (i < generated.length) mixed.push(generated[i]);
    if (i < real.length) mixed.push(real[i]);
  }
  return mixed;
}

/** `count` consecutive rows starting at `start`, wrapping around the pool. */
export function slice<T>(pool: readonly T[], start: number, count: number): T[] {
  const rows: T[] = [];
  for (let i = 0; i < count; i += 1) rows.push(pool[(start + i) % pool.length]);
  return rows;
}

/** Rows with exactly the model's input fields: generated values where the field is known, else ''. */
export function shapeRows(rows: readonly BenchRow[], fields: readonly string[]): Record<string, string>[] {
  return rows.map((row) => {
    const shaped: Record<string, string> = {};
    for (const field of fields)
      shaped[field] = (row as unknown as Record<string, string | undefined>)[field] ?? '';
    return shaped;
  });
}
