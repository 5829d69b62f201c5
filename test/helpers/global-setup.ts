// Replaced by the database helper: creates the template database once per run.
export default async function globalSetup(): Promise<void> {}
