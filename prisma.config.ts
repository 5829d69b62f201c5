import { defineConfig } from 'prisma/config';

// process.env, not env(): env() throws when the variable is unset, which would break
// `prisma generate` on a fresh install (see README, "Prisma offline").
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: {
    url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/analytics',
  },
});
