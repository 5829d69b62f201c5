import { CircuitBreaker } from './circuit-breaker';

it('opens after the threshold, lets one probe through after the cool-down, and closes on success', () => {
  let now = 0;
  const breaker = new CircuitBreaker(3, 1000, () => now);
  breaker.failure();
  breaker.failure();
  expect(breaker.allow()).toBe(true);
  breaker.failure();
  expect(breaker.allow()).toBe(false);
  now = 1000;
  expect(breaker.allow()).toBe(true);
  expect(breaker.allow()).toBe(false); // one probe at a time
  breaker.failure();
  now = 1500;
  expect(breaker.allow()).toBe(false);
  now = 2000;
  expect(breaker.allow()).toBe(true);
  breaker.success();
  expect(breaker.isOpen()).toBe(false);
  expect(breaker.allow()).toBe(true);
});
