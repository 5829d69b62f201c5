import { withJitter } from './ttl';

it('adds 0–10 % of jitter to a TTL', () => {
  expect(withJitter(1000, () => 0)).toBe(1000);
  expect(withJitter(1000, () => 0.999)).toBe(1100);
});
