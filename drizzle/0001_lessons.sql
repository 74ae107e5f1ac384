CREATE TABLE "lessons" (
	"id" uuid PRIMARY KEY NOT NULL,
	"cache_key" text NOT NULL,
	"course_id" text NOT NULL,
	"lesson_id" text NOT NULL,
	"difficulty" integer NOT NULL,
	"profile_id" uuid NOT NULL,
	"adaptation" text,
	"prompt_version" text NOT NULL,
	"content" jsonb NOT NULL,
	"generation" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "lessons_cache_key_unique" UNIQUE("cache_key")
);
--> statement-breakpoint
ALTER TABLE "lessons" ADD CONSTRAINT "lessons_profile_id_profiles_id_fk" FOREIGN KEY ("profile_id") REFERENCES "public"."profiles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "lessons_profile_id_idx" ON "lessons" USING btree ("profile_id");