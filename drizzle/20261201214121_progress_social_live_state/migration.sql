CREATE TABLE "chat_messages" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"channel" varchar(120) NOT NULL,
	"sender_id" uuid NOT NULL,
	"body" varchar(500) NOT NULL,
	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "daily_challenge_results" (
	"challenge_id" uuid,
	"player_id" uuid,
	"best_score" integer NOT NULL,
	"reached_at" timestamp(0) with time zone NOT NULL,
	"attempts" integer DEFAULT 1 NOT NULL,
	CONSTRAINT "daily_challenge_results_pk" PRIMARY KEY("challenge_id","player_id")
);
--> statement-breakpoint
CREATE TABLE "daily_challenges" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"date" date NOT NULL CONSTRAINT "daily_challenges_date_unique" UNIQUE,
	"seed" integer NOT NULL,
	"theme_id" varchar(100),
	"modifiers" text[] NOT NULL,
	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "friendships" (
	"player_id" uuid,
	"other_id" uuid,
	"state" varchar(20) NOT NULL,
	"updated_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "friendships_pkey" PRIMARY KEY("player_id","other_id"),
	CONSTRAINT "friendships_not_self" CHECK ("player_id" <> "other_id")
);
--> statement-breakpoint
CREATE TABLE "game_results" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"player_id" uuid NOT NULL,
	"character_id" uuid,
	"score" integer NOT NULL,
	"floor_reached" integer NOT NULL,
	"duration_seconds" integer NOT NULL,
	"victory" boolean NOT NULL,
	"kills" jsonb NOT NULL,
	"bosses_defeated" text[] NOT NULL,
	"items_collected" integer DEFAULT 0 NOT NULL,
	"daily_challenge_id" uuid,
	"ghost" jsonb,
	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "game_saves" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"player_id" uuid NOT NULL,
	"slot" integer NOT NULL,
	"version" integer NOT NULL,
	"state" jsonb NOT NULL,
	"summary" varchar(200),
	"updated_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "game_saves_player_slot_unique" UNIQUE("player_id","slot"),
	CONSTRAINT "game_saves_slot_range" CHECK ("slot" between 1 and 3)
);
--> statement-breakpoint
CREATE TABLE "player_achievements" (
	"player_id" uuid,
	"achievement_id" varchar(100),
	"progress" integer NOT NULL,
	"unlocked_at" timestamp(3) with time zone,
	CONSTRAINT "player_achievements_pk" PRIMARY KEY("player_id","achievement_id")
);
--> statement-breakpoint
CREATE TABLE "player_best_scores" (
	"player_id" uuid PRIMARY KEY,
	"best_score" integer NOT NULL,
	"reached_at" timestamp(0) with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "characters" ADD COLUMN "live_state_seq" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "chat_messages_channel_created_at_idx" ON "chat_messages" ("channel","created_at","id");--> statement-breakpoint
CREATE INDEX "chat_messages_sender_id_idx" ON "chat_messages" ("sender_id");--> statement-breakpoint
CREATE INDEX "daily_challenge_results_player_id_idx" ON "daily_challenge_results" ("player_id");--> statement-breakpoint
CREATE INDEX "daily_challenge_results_rank_idx" ON "daily_challenge_results" ("challenge_id","best_score" DESC NULLS LAST,"reached_at","player_id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "friendships_other_id_idx" ON "friendships" ("other_id");--> statement-breakpoint
CREATE INDEX "game_results_player_created_idx" ON "game_results" ("player_id","created_at");--> statement-breakpoint
CREATE INDEX "game_results_character_id_idx" ON "game_results" ("character_id");--> statement-breakpoint
CREATE INDEX "game_results_daily_challenge_id_idx" ON "game_results" ("daily_challenge_id");--> statement-breakpoint
CREATE INDEX "game_results_created_at_idx" ON "game_results" ("created_at");--> statement-breakpoint
CREATE INDEX "player_best_scores_rank_idx" ON "player_best_scores" ("best_score" DESC NULLS LAST,"reached_at","player_id" DESC NULLS LAST);--> statement-breakpoint
ALTER TABLE "chat_messages" ADD CONSTRAINT "chat_messages_sender_id_players_id_fkey" FOREIGN KEY ("sender_id") REFERENCES "players"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "daily_challenge_results" ADD CONSTRAINT "daily_challenge_results_challenge_id_daily_challenges_id_fkey" FOREIGN KEY ("challenge_id") REFERENCES "daily_challenges"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "daily_challenge_results" ADD CONSTRAINT "daily_challenge_results_player_id_players_id_fkey" FOREIGN KEY ("player_id") REFERENCES "players"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "friendships" ADD CONSTRAINT "friendships_player_id_players_id_fkey" FOREIGN KEY ("player_id") REFERENCES "players"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "friendships" ADD CONSTRAINT "friendships_other_id_players_id_fkey" FOREIGN KEY ("other_id") REFERENCES "players"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "game_results" ADD CONSTRAINT "game_results_player_id_players_id_fkey" FOREIGN KEY ("player_id") REFERENCES "players"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "game_results" ADD CONSTRAINT "game_results_character_id_characters_id_fkey" FOREIGN KEY ("character_id") REFERENCES "characters"("id") ON DELETE SET NULL;--> statement-breakpoint
ALTER TABLE "game_results" ADD CONSTRAINT "game_results_daily_challenge_id_daily_challenges_id_fkey" FOREIGN KEY ("daily_challenge_id") REFERENCES "daily_challenges"("id") ON DELETE SET NULL;--> statement-breakpoint
ALTER TABLE "game_saves" ADD CONSTRAINT "game_saves_player_id_players_id_fkey" FOREIGN KEY ("player_id") REFERENCES "players"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "player_achievements" ADD CONSTRAINT "player_achievements_player_id_players_id_fkey" FOREIGN KEY ("player_id") REFERENCES "players"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "player_best_scores" ADD CONSTRAINT "player_best_scores_player_id_players_id_fkey" FOREIGN KEY ("player_id") REFERENCES "players"("id") ON DELETE CASCADE;