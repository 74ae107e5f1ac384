CREATE TABLE "profiles" (
	"id" uuid PRIMARY KEY NOT NULL,
	"lookup_key" text NOT NULL,
	"profession" text NOT NULL,
	"industry" text NOT NULL,
	"experience_level" text NOT NULL,
	"profile" jsonb NOT NULL,
	"llm" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "profiles_lookup_key_unique" UNIQUE("lookup_key")
);
