CREATE TABLE "character_abilities" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"character_id" uuid NOT NULL,
	"essence_id" uuid NOT NULL,
	"ability_name" varchar(100) NOT NULL,
	"current_rank" varchar(20) DEFAULT 'normal' NOT NULL,
	"awakened" boolean DEFAULT false NOT NULL,
	"metadata" jsonb,
	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "character_essences" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"character_id" uuid NOT NULL,
	"essence_type" varchar(50) NOT NULL,
	"attribute_bound" varchar(20) NOT NULL,
	"rank_bonded" varchar(20) NOT NULL,
	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "character_inventory" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"character_id" uuid NOT NULL,
	"item_id" varchar(100) NOT NULL,
	"quantity" integer DEFAULT 1 NOT NULL,
	"slot" integer,
	"metadata" jsonb,
	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "character_quests" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"character_id" uuid NOT NULL,
	"quest_id" varchar(100) NOT NULL,
	"status" varchar(20) DEFAULT 'active' NOT NULL,
	"progress" jsonb DEFAULT '{}' NOT NULL,
	"started_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp(3) with time zone
);
--> statement-breakpoint
CREATE TABLE "characters" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"player_id" uuid NOT NULL,
	"name" varchar(50) NOT NULL CONSTRAINT "characters_name_unique" UNIQUE,
	"rank" varchar(20) DEFAULT 'normal' NOT NULL,
	"power" integer DEFAULT 10 NOT NULL,
	"speed" integer DEFAULT 10 NOT NULL,
	"spirit" integer DEFAULT 10 NOT NULL,
	"recovery" integer DEFAULT 10 NOT NULL,
	"current_room_id" varchar(100),
	"health" integer NOT NULL,
	"mana" integer NOT NULL,
	"stamina" integer NOT NULL,
	"inventory_max_slots" integer DEFAULT 20 NOT NULL,
	"inventory_expansion_level" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp(3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "players" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"username" varchar(50) NOT NULL CONSTRAINT "players_username_unique" UNIQUE,
	"email" varchar(255) NOT NULL CONSTRAINT "players_email_unique" UNIQUE,
	"password_hash" varchar(255) NOT NULL,
	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	"last_login" timestamp(3) with time zone
);
--> statement-breakpoint
CREATE INDEX "character_abilities_character_id_idx" ON "character_abilities" ("character_id");--> statement-breakpoint
CREATE INDEX "character_abilities_essence_id_idx" ON "character_abilities" ("essence_id");--> statement-breakpoint
CREATE INDEX "character_essences_character_id_idx" ON "character_essences" ("character_id");--> statement-breakpoint
CREATE INDEX "character_essences_essence_type_idx" ON "character_essences" ("essence_type");--> statement-breakpoint
CREATE INDEX "character_inventory_character_id_idx" ON "character_inventory" ("character_id");--> statement-breakpoint
CREATE INDEX "character_quests_character_id_idx" ON "character_quests" ("character_id");--> statement-breakpoint
CREATE INDEX "characters_player_id_idx" ON "characters" ("player_id");--> statement-breakpoint
CREATE INDEX "characters_created_at_idx" ON "characters" ("created_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "players_username_lower_unique" ON "players" (lower("username"));--> statement-breakpoint
ALTER TABLE "character_abilities" ADD CONSTRAINT "character_abilities_character_id_characters_id_fkey" FOREIGN KEY ("character_id") REFERENCES "characters"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "character_abilities" ADD CONSTRAINT "character_abilities_essence_id_character_essences_id_fkey" FOREIGN KEY ("essence_id") REFERENCES "character_essences"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "character_essences" ADD CONSTRAINT "character_essences_character_id_characters_id_fkey" FOREIGN KEY ("character_id") REFERENCES "characters"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "character_inventory" ADD CONSTRAINT "character_inventory_character_id_characters_id_fkey" FOREIGN KEY ("character_id") REFERENCES "characters"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "character_quests" ADD CONSTRAINT "character_quests_character_id_characters_id_fkey" FOREIGN KEY ("character_id") REFERENCES "characters"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "characters" ADD CONSTRAINT "characters_player_id_players_id_fkey" FOREIGN KEY ("player_id") REFERENCES "players"("id") ON DELETE CASCADE;