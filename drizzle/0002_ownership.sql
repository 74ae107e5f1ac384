ALTER TABLE "lessons" ADD COLUMN "owner" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "profiles" ADD COLUMN "owner" text DEFAULT '' NOT NULL;