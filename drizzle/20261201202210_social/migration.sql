CREATE TABLE "chat_messages" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"channel" varchar(120) NOT NULL,
	"sender_id" uuid NOT NULL,
	"body" varchar(500) NOT NULL,
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
CREATE INDEX "chat_messages_channel_created_at_idx" ON "chat_messages" ("channel","created_at","id");--> statement-breakpoint
CREATE INDEX "chat_messages_sender_id_idx" ON "chat_messages" ("sender_id");--> statement-breakpoint
CREATE INDEX "friendships_other_id_idx" ON "friendships" ("other_id");--> statement-breakpoint
ALTER TABLE "chat_messages" ADD CONSTRAINT "chat_messages_sender_id_players_id_fkey" FOREIGN KEY ("sender_id") REFERENCES "players"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "friendships" ADD CONSTRAINT "friendships_player_id_players_id_fkey" FOREIGN KEY ("player_id") REFERENCES "players"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "friendships" ADD CONSTRAINT "friendships_other_id_players_id_fkey" FOREIGN KEY ("other_id") REFERENCES "players"("id") ON DELETE CASCADE;